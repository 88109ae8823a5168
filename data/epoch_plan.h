#pragma once
// Which examples each rank sees, as a pure function of (seed, epoch, rank,
// world size). The epoch order is a permutation drawn from the
// (seed, epoch_permutation, epoch) stream, padded by wrapping around to a
// multiple of the world size so every rank runs the same number of steps, and
// dealt out rank-strided: rank r takes padded positions r, r + W, r + 2W, ...
// Batch k of every rank together covers positions [kB, (k+1)B) with B the
// global batch, so the global batch does not depend on the world size.
#include <cstdint>
#include <mutex>
#include <vector>

namespace scorch::data {

struct ShardSpec {
  std::int64_t dataset_size = 0;
  int rank = 0;
  int world_size = 1;
  std::int64_t batch_size = 1;  // per rank
  bool shuffle = true;
  bool drop_last = true;  // drop a final partial batch
  std::uint64_t seed = 0;
};

struct BatchIndices {
  std::vector<std::int64_t> dataset_indices;
  std::vector<std::int64_t> positions;  // in the padded epoch order: the example's global index within the epoch
};

class EpochPlan {
 public:
  explicit EpochPlan(const ShardSpec& spec);

  const ShardSpec& spec() const { return spec_; }
  std::int64_t padded_size() const { return padded_size_; }
  std::int64_t per_rank() const { return padded_size_ / spec_.world_size; }
  std::int64_t batches_per_epoch() const { return batches_per_epoch_; }

  // The epoch's order of dataset indices (identity without shuffling).
  std::vector<std::int64_t> permutation(std::int64_t epoch) const;
  BatchIndices batch(std::int64_t epoch, std::int64_t batch_in_epoch) const;

 private:
  ShardSpec spec_;
  std::int64_t padded_size_;
  std::int64_t batches_per_epoch_;
  // The last permutation, kept because consecutive batches share an epoch.
  mutable std::mutex cache_mutex_;
  mutable std::int64_t cached_epoch_ = -1;
  mutable std::vector<std::int64_t> cached_permutation_;
};

}  // namespace scorch::data
