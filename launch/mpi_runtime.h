#pragma once
// The process's place in the job. Under mpirun/srun (detected from the
// launcher's environment) MPI is initialised and the job has world_size ranks;
// a plain `scorch ...` runs as a single process without touching MPI, so no
// MPI daemon is needed for one-process work.
#include <memory>
#include <string>

namespace scorch {
class Communicator;
}

namespace scorch::launch {

struct JobPlacement {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;  // rank among the processes on this node
  int local_size = 1;  // processes on this node
  bool uses_mpi = false;
};

// Initialises MPI when launched by an MPI launcher (idempotent) and sets the
// log's rank prefix. MPI is finalised at process exit.
const JobPlacement& initialise_job();
const JobPlacement& job();

// Ends the whole job from any rank: MPI_Abort under MPI, exit otherwise. Used
// when one rank fails, so the others never wait for it in a collective.
[[noreturn]] void abort_job(int exit_code);

// The communicator for CPU tensors: MPI across ranks, or local for one
// process. Collectives that do not complete within timeout_seconds abort the job.
std::unique_ptr<Communicator> make_cpu_communicator(double timeout_seconds);

}  // namespace scorch::launch
