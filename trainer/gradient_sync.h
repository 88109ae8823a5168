#pragma once
// Data-parallel synchronisation: parameters broadcast from rank 0, a checksum
// compared across ranks, and gradients summed over ranks in fixed-order
// buckets of flattened gradients (one collective per bucket rather than per
// parameter, the same order on every rank).
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

namespace scorch {
class Communicator;
}

namespace scorch::trainer {

class GradientSynchronizer {
 public:
  // parameters in a fixed order; buckets hold about bucket_bytes of gradients.
  GradientSynchronizer(std::vector<at::Tensor> parameters, Communicator& communicator, std::int64_t bucket_bytes);

  // Sums every parameter's gradient over ranks, in place. Gradients must be
  // pre-scaled so the sum is the wanted mean (the trainer divides by the global batch).
  void sum_gradients();
  // Copies rank 0's parameter values to every rank.
  void broadcast_parameters();
  std::size_t bucket_count() const { return buckets_.size(); }

 private:
  void for_each_bucket(bool gradients, bool broadcast);
  std::vector<at::Tensor> parameters_;
  Communicator& communicator_;
  std::vector<std::vector<std::size_t>> buckets_;  // parameter indices
};

// A checksum of tensors that agrees across ranks exactly when the values do
// (sum and sum of squares with position weights, in float64).
double parameter_checksum(const std::vector<at::Tensor>& tensors);

// Throws UserError on every rank unless all ranks hold the same value.
void require_same_on_all_ranks(Communicator& communicator, double value, const std::string& what);

}  // namespace scorch::trainer
