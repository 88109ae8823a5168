#include "launch/job_communicator.h"

#include "common/user_error.h"
#include "launch/mpi_runtime.h"
#ifdef SCORCH_WITH_NCCL
#include "launch/nccl_communicator.h"
#endif

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <torch/torch.h>

namespace scorch::launch {
namespace {

// How many GPUs this process may use: 0 unless this build has the NCCL backend.
int usable_gpus() {
#ifdef SCORCH_WITH_NCCL
  return torch::cuda::is_available() ? static_cast<int>(torch::cuda::device_count()) : 0;
#else
  return 0;
#endif
}

}  // namespace

std::unique_ptr<Communicator> make_job_communicator(const DistributedSettings& settings) {
  const int gpus = usable_gpus();
  const bool wants_gpu = settings.device == "cuda" || (settings.device == "auto" && gpus > 0);
  if (!wants_gpu) return make_cpu_communicator(settings.timeout_seconds);
  if (gpus == 0) {
    throw UserError(torch::cuda::is_available()
                        ? "device cuda (distributed.device, --device) needs the NCCL backend, which this build lacks "
                          "(CPU LibTorch, or NCCL not found at configure time)"
                        : "device cuda (distributed.device, --device) was asked for, but no GPU is visible to this "
                          "process");
  }
  const JobPlacement& placement = job();
  // NCCL refuses two ranks on one device; say so before it fails obscurely.
  if (placement.local_size > gpus) {
    throw UserError(fmt::format("{} ranks on this node but {} GPU(s) visible: launch one rank per GPU, or set "
                                "distributed.device=cpu (--device cpu)",
                                placement.local_size, gpus));
  }
#ifdef SCORCH_WITH_NCCL
  return make_nccl_communicator(placement.local_rank, settings.timeout_seconds);
#else
  throw UserError("unreachable: no NCCL backend");
#endif
}

void add_distributed_options(CLI::App& command, DistributedSettings& settings) {
  command.add_option("--device", settings.device, "auto (GPU with NCCL when available), cpu or cuda (default auto)")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  command.add_option("--timeout-s", settings.timeout_seconds, "abort when a collective waits longer (default 300)");
}

}  // namespace scorch::launch
