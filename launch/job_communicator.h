#pragma once
// The communicator a command's ranks share: NCCL on the local rank's GPU when
// this build has NCCL and a GPU is present, otherwise MPI (or local) on the CPU.
#include "common/communicator.h"

#include <memory>

namespace scorch::launch {

std::unique_ptr<Communicator> make_job_communicator(double timeout_seconds);

}  // namespace scorch::launch
