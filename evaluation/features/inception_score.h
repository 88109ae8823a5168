#pragma once
// Inception Score exp(E_x KL(p(y|x) ‖ p(y))) over contiguous splits of the
// images by global index (split s holds indices [s·N/S, (s+1)·N/S)), reported
// as the mean and population std over splits (docs/conventions.md §4).
//
// Per split only Σ_x p(y|x) and Σ_x Σ_y p log p are needed, because
// E_x KL = E_x Σ_y p log p − Σ_y p̄ log p̄; both are sums, so ranks accumulate
// their images and one all-reduce combines them, whatever the split of work.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace scorch {
class Communicator;
}

namespace scorch::evaluation {

// The original TensorFlow code's and torch-fidelity's split count.
inline constexpr std::int64_t kInceptionScoreSplits = 10;

struct InceptionScore {
  double mean = 0.0;
  double std = 0.0;  // population std over splits
};

class InceptionScoreAccumulator {
 public:
  InceptionScoreAccumulator(std::int64_t classes, std::int64_t total_images, std::int64_t splits = kInceptionScoreSplits);
  // log p(y|x) [B, K] (a log-softmax) for the images with these global indices.
  void add(const at::Tensor& log_probabilities, const std::vector<std::int64_t>& global_indices);
  void all_reduce(Communicator& communicator);
  InceptionScore score() const;

 private:
  std::int64_t split_of(std::int64_t global_index) const;

  std::int64_t total_images_, splits_;
  at::Tensor probability_sums_;  // float64 [S, K]
  at::Tensor negentropy_sums_;   // float64 [S]: Σ_x Σ_y p log p
  at::Tensor counts_;            // float64 [S]
};

}  // namespace scorch::evaluation
