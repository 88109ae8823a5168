#include "launch/job_communicator.h"

#include "launch/mpi_runtime.h"
#ifdef SCORCH_WITH_NCCL
#include "launch/nccl_communicator.h"
#endif

#include <torch/torch.h>

namespace scorch::launch {

std::unique_ptr<Communicator> make_job_communicator(double timeout_seconds) {
#ifdef SCORCH_WITH_NCCL
  if (torch::cuda::is_available()) {
    const int device = job().local_rank % static_cast<int>(torch::cuda::device_count());
    return make_nccl_communicator(device, timeout_seconds);
  }
#endif
  return make_cpu_communicator(timeout_seconds);
}

}  // namespace scorch::launch
