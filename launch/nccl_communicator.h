#pragma once
// The NCCL communicator for CUDA tensors (built when CMake finds a CUDA
// LibTorch and NCCL; elsewhere only compile-checked). Rank 0 creates the
// unique id, MPI_Bcast shares it, ncclCommInitRank follows, then a barrier.
// Collectives run on the communicator's own stream after the device's pending
// work; failures and timeouts abort the communicator and end the job.
#include <memory>

namespace scorch {
class Communicator;
}

namespace scorch::launch {

// One communicator per process on CUDA device `device`; needs initialise_job() first.
std::unique_ptr<Communicator> make_nccl_communicator(int device, double timeout_seconds);

}  // namespace scorch::launch
