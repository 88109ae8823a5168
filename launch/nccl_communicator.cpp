#include "launch/nccl_communicator.h"

#include "common/communicator.h"
#include "common/log.h"
#include "launch/mpi_runtime.h"

#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <cuda_runtime.h>
#include <mpi.h>
#include <nccl.h>

#include <ATen/ATen.h>
#ifdef SCORCH_WITH_NCCL
#include <c10/cuda/CUDAStream.h>
#endif
#include <fmt/format.h>

#include <chrono>
#include <stdexcept>
#include <thread>

namespace scorch::launch {
namespace {

[[noreturn]] void fail(const std::string& what) {
  log::error("{}; ending the job", what);
  abort_job(2);
}

void check_cuda(cudaError_t status, const char* what) {
  if (status != cudaSuccess) fail(fmt::format("CUDA {} failed: {}", what, cudaGetErrorString(status)));
}

// The stream LibTorch queues this thread's kernels on (autograd's, inside backward).
cudaStream_t current_stream(int device) {
#ifdef SCORCH_WITH_NCCL
  return c10::cuda::getCurrentCUDAStream(static_cast<c10::DeviceIndex>(device)).stream();
#else
  // The compile-only check against a CPU LibTorch, whose c10/cuda headers are incomplete; never run.
  (void)device;
  return cudaStreamLegacy;
#endif
}

ncclDataType_t nccl_type(const at::Tensor& tensor) {
  switch (tensor.scalar_type()) {
    case at::kFloat: return ncclFloat32;
    case at::kDouble: return ncclFloat64;
    case at::kHalf: return ncclFloat16;
    case at::kLong: return ncclInt64;
    case at::kInt: return ncclInt32;
    case at::kByte: return ncclUint8;
    default: throw std::logic_error("no NCCL type for this tensor");
  }
}

class NcclCommunicator final : public Communicator {
 public:
  NcclCommunicator(int device, double timeout_seconds) : device_(device), timeout_seconds_(timeout_seconds) {
    const JobPlacement& placement = job();
    check_cuda(cudaSetDevice(device_), "cudaSetDevice");
    ncclUniqueId id;
    if (placement.rank == 0 && ncclGetUniqueId(&id) != ncclSuccess) fail("ncclGetUniqueId failed");
    if (placement.uses_mpi) MPI_Bcast(&id, sizeof(id), MPI_BYTE, 0, MPI_COMM_WORLD);
    const ncclResult_t status = ncclCommInitRank(&comm_, placement.world_size, id, placement.rank);
    if (status != ncclSuccess) fail(fmt::format("ncclCommInitRank failed: {}", ncclGetErrorString(status)));
    check_cuda(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate");
    check_cuda(cudaEventCreateWithFlags(&produced_, cudaEventDisableTiming), "cudaEventCreate");
    barrier();
  }

  ~NcclCommunicator() override {
    cudaEventDestroy(produced_);
    cudaStreamDestroy(stream_);
    ncclCommDestroy(comm_);
  }

  int rank() const override { return job().rank; }
  int world_size() const override { return job().world_size; }
  std::string backend() const override { return "nccl"; }
  at::Device device() const override { return {at::kCUDA, static_cast<c10::DeviceIndex>(device_)}; }

  void all_reduce_sum(at::Tensor& tensor) override { all_reduce(tensor, ncclSum); }
  void all_reduce_max(at::Tensor& tensor) override { all_reduce(tensor, ncclMax); }

  void broadcast(at::Tensor& tensor, int root) override {
    prepare(tensor);
    check_nccl(ncclBroadcast(tensor.data_ptr(), tensor.data_ptr(), static_cast<std::size_t>(tensor.numel()),
                             nccl_type(tensor), root, comm_, stream_),
               "ncclBroadcast");
    wait("broadcast");
  }

  void start_all_reduce_sum(at::Tensor& tensor) override {
    if (!tensor.is_cuda() || !tensor.is_contiguous()) throw std::logic_error("NCCL collectives need contiguous CUDA tensors");
    // Ordered after the kernels that produced the tensor on the current (autograd's)
    // stream, without stopping the host: backward keeps queueing work meanwhile.
    check_cuda(cudaEventRecord(produced_, current_stream(device_)), "cudaEventRecord");
    check_cuda(cudaStreamWaitEvent(stream_, produced_, 0), "cudaStreamWaitEvent");
    check_nccl(ncclAllReduce(tensor.data_ptr(), tensor.data_ptr(), static_cast<std::size_t>(tensor.numel()),
                             nccl_type(tensor), ncclSum, comm_, stream_),
               "ncclAllReduce");
  }

  bool has_asynchronous_collectives() const override { return true; }

  // The host waits for the communication stream, so any kernel queued after this sees the sums.
  void wait_for_started() override { wait("bucket all-reduce"); }

  void barrier() override {
    // An all-reduce of one value on the device is a barrier that NCCL can time out.
    at::Tensor token = at::zeros({1}, at::TensorOptions().dtype(at::kFloat).device(at::kCUDA, device_));
    all_reduce(token, ncclSum);
  }

 private:
  void prepare(const at::Tensor& tensor) const {
    if (!tensor.is_cuda() || !tensor.is_contiguous()) throw std::logic_error("NCCL collectives need contiguous CUDA tensors");
    // The collective's stream must see the tensor's finished values.
    check_cuda(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
  }

  void all_reduce(at::Tensor& tensor, ncclRedOp_t op) {
    prepare(tensor);
    check_nccl(ncclAllReduce(tensor.data_ptr(), tensor.data_ptr(), static_cast<std::size_t>(tensor.numel()),
                             nccl_type(tensor), op, comm_, stream_),
               "ncclAllReduce");
    wait("all-reduce");
  }

  void check_nccl(ncclResult_t status, const char* what) {
    if (status != ncclSuccess) abort_communicator(fmt::format("{} failed: {}", what, ncclGetErrorString(status)));
  }

  // Polls the stream, NCCL's asynchronous error state and the deadline.
  void wait(const char* what) {
    const auto start = std::chrono::steady_clock::now();
    for (;;) {
      const cudaError_t state = cudaStreamQuery(stream_);
      if (state == cudaSuccess) return;
      if (state != cudaErrorNotReady) abort_communicator(fmt::format("{}: {}", what, cudaGetErrorString(state)));
      ncclResult_t async_error = ncclSuccess;
      ncclCommGetAsyncError(comm_, &async_error);
      if (async_error != ncclSuccess) {
        abort_communicator(fmt::format("NCCL {} failed: {}", what, ncclGetErrorString(async_error)));
      }
      if (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > timeout_seconds_) {
        abort_communicator(fmt::format("NCCL {} did not complete within {:.0f} s (distributed.timeout_s)", what,
                                       timeout_seconds_));
      }
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }

  [[noreturn]] void abort_communicator(const std::string& what) {
    ncclCommAbort(comm_);
    fail(what);
  }

  int device_;
  double timeout_seconds_;
  ncclComm_t comm_ = nullptr;
  cudaStream_t stream_ = nullptr;
  cudaEvent_t produced_ = nullptr;
};

}  // namespace

std::unique_ptr<Communicator> make_nccl_communicator(int device, double timeout_seconds) {
  return std::make_unique<NcclCommunicator>(device, timeout_seconds);
}

}  // namespace scorch::launch
