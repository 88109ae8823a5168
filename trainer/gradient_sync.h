#pragma once
// Data-parallel synchronisation: parameters broadcast from rank 0, a checksum
// compared across ranks, and gradients summed over ranks in fixed-order
// buckets of flattened gradients (one collective per bucket rather than per
// parameter, the same order on every rank).
//
// Buckets run from the last parameter to the first, the order in which
// backward produces gradients. With overlap_next_backward(), each bucket's
// sum starts from a gradient hook as soon as backward has produced its last
// gradient, so communication (asynchronous on NCCL) runs while backward
// computes the earlier layers; sum_gradients() then starts the rest and waits.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace scorch {
class Communicator;
}

namespace scorch::trainer {

class GradientSynchronizer {
 public:
  // parameters in a fixed order; buckets hold about bucket_bytes of gradients.
  GradientSynchronizer(std::vector<at::Tensor> parameters, Communicator& communicator, std::int64_t bucket_bytes);
  ~GradientSynchronizer();
  GradientSynchronizer(const GradientSynchronizer&) = delete;
  GradientSynchronizer& operator=(const GradientSynchronizer&) = delete;

  // The next backward pass (the last micro-batch of a step) starts each
  // bucket's sum as soon as its gradients are complete. Gradients accumulated
  // by earlier micro-batches are included. Only with asynchronous collectives
  // (NCCL); otherwise sum_gradients() does all the work.
  void overlap_next_backward();
  // Sums every parameter's gradient over ranks, in place: starts the buckets
  // an overlapped backward did not, waits for all, writes the sums to .grad.
  // Gradients must be pre-scaled so the sum is the wanted mean (the trainer
  // divides by the global batch). A parameter without a gradient counts as zero.
  void sum_gradients();
  // Copies rank 0's parameter values to every rank.
  void broadcast_parameters();
  std::size_t bucket_count() const { return buckets_.size(); }

 private:
  struct Slot {
    std::size_t bucket = 0;
    std::int64_t offset = 0;  // in the bucket's flat buffer
    bool filled = false;      // this step's gradient is in the buffer
  };
  void register_hooks();
  void begin_step();
  void take_gradient(std::size_t index, const at::Tensor& fresh);
  void mark_filled(std::size_t index);
  void start_complete_buckets();
  at::Tensor slot_view(std::size_t index) const;

  std::vector<at::Tensor> parameters_;
  Communicator& communicator_;
  std::vector<std::vector<std::size_t>> buckets_;  // parameter indices
  std::vector<at::Tensor> buffers_;                // one flat gradient buffer per bucket, made on first use
  std::vector<Slot> slots_;                        // per parameter
  std::vector<std::size_t> unfilled_;              // per bucket
  std::size_t next_bucket_ = 0;                    // buckets below this one have been started
  bool armed_ = false;
  std::vector<std::pair<std::size_t, unsigned>> hooks_;  // (parameter index, hook handle), for removal
  bool hooked_ = false;
};

// A checksum of tensors that agrees across ranks exactly when the values do
// (sum and sum of squares with position weights, in float64).
double parameter_checksum(const std::vector<at::Tensor>& tensors);

// Throws UserError on every rank unless all ranks hold the same value.
void require_same_on_all_ranks(Communicator& communicator, double value, const std::string& what);

}  // namespace scorch::trainer
