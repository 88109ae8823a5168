#include "data/epoch_plan.h"

#include "common/random_stream.h"
#include "common/user_error.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <numeric>

namespace scorch::data {

EpochPlan::EpochPlan(const ShardSpec& spec) : spec_(spec) {
  if (spec.dataset_size <= 0) throw UserError("the dataset is empty");
  if (spec.world_size <= 0 || spec.rank < 0 || spec.rank >= spec.world_size) {
    throw UserError(fmt::format("bad rank {} of world size {}", spec.rank, spec.world_size));
  }
  if (spec.batch_size <= 0) throw UserError("the batch size must be positive");
  const std::int64_t world = spec.world_size;
  padded_size_ = (spec.dataset_size + world - 1) / world * world;
  const std::int64_t shard = padded_size_ / world;
  batches_per_epoch_ = spec.drop_last ? shard / spec.batch_size : (shard + spec.batch_size - 1) / spec.batch_size;
  if (batches_per_epoch_ == 0) {
    throw UserError(fmt::format("a shard of {} examples holds no full batch of {} (dataset {} over {} ranks)", shard,
                                spec.batch_size, spec.dataset_size, world));
  }
}

std::vector<std::int64_t> EpochPlan::permutation(std::int64_t epoch) const {
  std::vector<std::int64_t> order(static_cast<std::size_t>(spec_.dataset_size));
  if (!spec_.shuffle) {
    std::iota(order.begin(), order.end(), 0);
    return order;
  }
  at::Generator generator =
      make_generator({spec_.seed, RandomPurpose::epoch_permutation, static_cast<std::uint64_t>(epoch)}, 0);
  const at::Tensor perm = at::randperm(spec_.dataset_size, generator, at::TensorOptions().dtype(at::kLong));
  std::copy(perm.data_ptr<std::int64_t>(), perm.data_ptr<std::int64_t>() + spec_.dataset_size, order.begin());
  return order;
}

BatchIndices EpochPlan::batch(std::int64_t epoch, std::int64_t batch_in_epoch) const {
  if (batch_in_epoch < 0 || batch_in_epoch >= batches_per_epoch_) {
    throw UserError(fmt::format("batch {} is outside the epoch's {} batches", batch_in_epoch, batches_per_epoch_));
  }
  std::lock_guard<std::mutex> lock(cache_mutex_);
  if (cached_epoch_ != epoch) {
    cached_permutation_ = permutation(epoch);
    cached_epoch_ = epoch;
  }
  BatchIndices out;
  const std::int64_t first = batch_in_epoch * spec_.batch_size;
  const std::int64_t last = std::min(per_rank(), first + spec_.batch_size);
  for (std::int64_t s = first; s < last; ++s) {
    const std::int64_t position = s * spec_.world_size + spec_.rank;
    out.positions.push_back(position);
    // Padding wraps around to the start of the permutation.
    out.dataset_indices.push_back(cached_permutation_[static_cast<std::size_t>(position % spec_.dataset_size)]);
  }
  return out;
}

}  // namespace scorch::data
