#include "evaluation/features/inception_score.h"

#include "common/communicator.h"
#include "common/user_error.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <cmath>
#include <stdexcept>
#include <vector>

namespace scorch::evaluation {

InceptionScoreAccumulator::InceptionScoreAccumulator(std::int64_t classes, std::int64_t total_images,
                                                     std::int64_t splits)
    : total_images_(total_images),
      splits_(splits),
      probability_sums_(at::zeros({splits, classes}, at::kDouble)),
      negentropy_sums_(at::zeros({splits}, at::kDouble)),
      counts_(at::zeros({splits}, at::kDouble)) {
  if (splits < 1 || total_images < splits) {
    throw UserError(fmt::format("Inception Score: {} images cannot fill {} splits", total_images, splits));
  }
}

std::int64_t InceptionScoreAccumulator::split_of(std::int64_t global_index) const {
  if (global_index < 0 || global_index >= total_images_) {
    throw std::out_of_range(fmt::format("image index {} outside [0, {})", global_index, total_images_));
  }
  // The largest s with ⌊s·N/S⌋ ≤ index.
  std::int64_t split = (global_index * splits_) / total_images_;
  while (split + 1 < splits_ && ((split + 1) * total_images_) / splits_ <= global_index) ++split;
  while (split > 0 && (split * total_images_) / splits_ > global_index) --split;
  return split;
}

void InceptionScoreAccumulator::add(const at::Tensor& log_probabilities,
                                    const std::vector<std::int64_t>& global_indices) {
  if (log_probabilities.dim() != 2 || log_probabilities.size(1) != probability_sums_.size(1) ||
      log_probabilities.size(0) != static_cast<std::int64_t>(global_indices.size())) {
    throw UserError(fmt::format("Inception Score: expected class log-probabilities [{}, {}], got {}",
                                global_indices.size(), probability_sums_.size(1),
                                fmt::join(log_probabilities.sizes(), "x")));
  }
  const at::Tensor log_p = log_probabilities.to(at::kCPU, at::kDouble);
  const at::Tensor p = log_p.exp();
  // p log p → 0 where p underflows to 0 (log p = −inf would give NaN).
  const at::Tensor negentropy = at::where(p > 0, p * log_p, at::zeros_like(p)).sum(1);
  std::vector<std::int64_t> splits;
  splits.reserve(global_indices.size());
  for (const std::int64_t index : global_indices) splits.push_back(split_of(index));
  const at::Tensor split_index = at::tensor(splits, at::kLong);
  probability_sums_.index_add_(0, split_index, p);
  negentropy_sums_.index_add_(0, split_index, negentropy);
  counts_.index_add_(0, split_index, at::ones({log_p.size(0)}, at::kDouble));
}

void InceptionScoreAccumulator::all_reduce(Communicator& communicator) {
  for (at::Tensor* tensor : {&probability_sums_, &negentropy_sums_, &counts_}) {
    *tensor = summed_over_ranks(communicator, *tensor);
  }
}

InceptionScore InceptionScoreAccumulator::score() const {
  if ((counts_ < 1).any().item<bool>()) throw UserError("Inception Score: a split received no images");
  const at::Tensor mean_p = probability_sums_ / counts_.unsqueeze(1);
  const at::Tensor marginal_negentropy = at::where(mean_p > 0, mean_p * mean_p.log(), at::zeros_like(mean_p)).sum(1);
  const at::Tensor split_scores = (negentropy_sums_ / counts_ - marginal_negentropy).exp();
  return {split_scores.mean().item<double>(), split_scores.std(/*unbiased=*/false).item<double>()};
}

}  // namespace scorch::evaluation
