#pragma once
// The communicator a command's ranks share, on the device distributed.device
// names: NCCL on the local rank's GPU ("cuda", or "auto" when this build has
// CUDA and NCCL and a GPU is visible), otherwise MPI (or local) on the CPU.
#include "common/communicator.h"
#include "common/distributed_keys.h"

#include <memory>

namespace CLI {
class App;
}

namespace scorch::launch {

std::unique_ptr<Communicator> make_job_communicator(const DistributedSettings& settings);

// --device and --timeout-s for the commands that take no config file.
void add_distributed_options(CLI::App& command, DistributedSettings& settings);

}  // namespace scorch::launch
