#pragma once
// Collective operations across the ranks of a job. The trainer and evaluation
// code talk only to this interface; launch/ provides the implementations (MPI
// for CPU tensors, NCCL for CUDA tensors) and LocalCommunicator serves single
// processes. Every rank must make the same calls in the same order.
#include <ATen/core/Tensor.h>

#include <memory>
#include <string>

namespace scorch {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int world_size() const = 0;
  // A short name for logs: "local", "mpi", "nccl".
  virtual std::string backend() const = 0;
  // Where tensors handed to the collectives must live (CPU for MPI, the rank's GPU for NCCL).
  virtual at::Device device() const { return at::kCPU; }

  // In place over a contiguous tensor: the elementwise sum (or max) over ranks.
  virtual void all_reduce_sum(at::Tensor& tensor) = 0;
  virtual void all_reduce_max(at::Tensor& tensor) = 0;
  // In place: every rank receives root's values.
  virtual void broadcast(at::Tensor& tensor, int root) = 0;
  virtual void barrier() = 0;

  // An in-place sum over ranks that may still run when this returns (NCCL
  // queues it on its own stream behind the work that produced the tensor).
  // The tensor must stay alive and untouched until wait_for_started(). Every
  // rank starts the same sequence. Backends without asynchronous collectives
  // finish it here.
  virtual void start_all_reduce_sum(at::Tensor& tensor) { all_reduce_sum(tensor); }
  // Whether start_all_reduce_sum returns before the sum is done, so that
  // starting sums during backward can overlap communication with compute.
  virtual bool has_asynchronous_collectives() const { return false; }
  // Returns once every sum started with start_all_reduce_sum has finished.
  virtual void wait_for_started() {}
};

// The sum over ranks of `tensor` (any device, any layout), returned on the
// tensor's own device: moves it to where the collective runs and back.
at::Tensor summed_over_ranks(Communicator& communicator, const at::Tensor& tensor);

// One process: every collective is the identity.
class LocalCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int world_size() const override { return 1; }
  std::string backend() const override { return "local"; }
  void all_reduce_sum(at::Tensor&) override {}
  void all_reduce_max(at::Tensor&) override {}
  void broadcast(at::Tensor&, int) override {}
  void barrier() override {}
};

}  // namespace scorch
