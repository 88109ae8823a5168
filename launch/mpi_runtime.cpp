#include "launch/mpi_runtime.h"

// The C API only: the deprecated C++ bindings would need libmpi_cxx.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

#include "common/communicator.h"
#include "common/log.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <thread>

namespace scorch::launch {
namespace {

JobPlacement placement;
bool initialised = false;

bool launched_by_mpi() {
  for (const char* variable : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS"}) {
    if (std::getenv(variable) != nullptr) return true;
  }
  return false;
}

void finalise_at_exit() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

void check_mpi(int status, const char* what) {
  if (status == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(status, text, &length);
  log::error("MPI {} failed: {}", what, std::string(text, static_cast<std::size_t>(length)));
  abort_job(2);
}

MPI_Datatype mpi_type(const at::Tensor& tensor) {
  switch (tensor.scalar_type()) {
    case at::kFloat: return MPI_FLOAT;
    case at::kDouble: return MPI_DOUBLE;
    case at::kLong: return MPI_INT64_T;
    case at::kInt: return MPI_INT32_T;
    case at::kByte: return MPI_UINT8_T;
    default: throw std::logic_error(fmt::format("no MPI type for {}", c10::toString(tensor.scalar_type())));
  }
}

// MPI collectives over CPU tensors. Each is issued non-blocking and polled
// against a deadline: a rank that died or stalls would otherwise leave the
// others blocked forever.
class MpiCommunicator final : public Communicator {
 public:
  explicit MpiCommunicator(double timeout_seconds) : timeout_seconds_(timeout_seconds) {}
  int rank() const override { return placement.rank; }
  int world_size() const override { return placement.world_size; }
  std::string backend() const override { return "mpi"; }

  void all_reduce_sum(at::Tensor& tensor) override { all_reduce(tensor, MPI_SUM, "all-reduce"); }
  void all_reduce_max(at::Tensor& tensor) override { all_reduce(tensor, MPI_MAX, "all-reduce (max)"); }

  void broadcast(at::Tensor& tensor, int root) override {
    check_layout(tensor);
    MPI_Request request;
    check_mpi(MPI_Ibcast(tensor.data_ptr(), static_cast<int>(tensor.numel()), mpi_type(tensor), root, MPI_COMM_WORLD,
                         &request),
              "broadcast");
    wait(request, "broadcast");
  }

  void barrier() override {
    MPI_Request request;
    check_mpi(MPI_Ibarrier(MPI_COMM_WORLD, &request), "barrier");
    wait(request, "barrier");
  }

 private:
  static void check_layout(const at::Tensor& tensor) {
    if (!tensor.is_contiguous() || !tensor.device().is_cpu()) {
      throw std::logic_error("MPI collectives need contiguous CPU tensors");
    }
  }

  void all_reduce(at::Tensor& tensor, MPI_Op op, const char* what) {
    check_layout(tensor);
    MPI_Request request;
    check_mpi(MPI_Iallreduce(MPI_IN_PLACE, tensor.data_ptr(), static_cast<int>(tensor.numel()), mpi_type(tensor), op,
                             MPI_COMM_WORLD, &request),
              what);
    wait(request, what);
  }

  void wait(MPI_Request& request, const char* what) const {
    const auto start = std::chrono::steady_clock::now();
    auto pause = std::chrono::microseconds(1);
    for (;;) {
      int done = 0;
      check_mpi(MPI_Test(&request, &done, MPI_STATUS_IGNORE), what);
      if (done) return;
      const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (waited > timeout_seconds_) {
        log::error("{} did not complete within {:.0f} s (distributed.timeout_s): another rank has failed or stalled; "
                   "ending the job",
                   what, timeout_seconds_);
        abort_job(2);
      }
      // Back off from busy polling to at most 1 ms sleeps, so a waiting rank leaves the cores to its peers.
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::microseconds(1000));
    }
  }

  double timeout_seconds_;
};

}  // namespace

const JobPlacement& initialise_job() {
  if (initialised) return placement;
  initialised = true;
  if (!launched_by_mpi()) return placement;
  int provided = 0;
  if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
    throw std::runtime_error("MPI_Init_thread failed");
  }
  std::atexit(finalise_at_exit);
  placement.uses_mpi = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &placement.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &placement.world_size);
  MPI_Comm node;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, placement.rank, MPI_INFO_NULL, &node);
  MPI_Comm_rank(node, &placement.local_rank);
  MPI_Comm_size(node, &placement.local_size);
  MPI_Comm_free(&node);
  log::set_rank(placement.rank, placement.world_size);
  return placement;
}

const JobPlacement& job() { return initialise_job(); }

void abort_job(int exit_code) {
  std::fflush(stdout);
  std::fflush(stderr);
  if (placement.uses_mpi && placement.world_size > 1) {
    // Ranks usually fail together (a bad config, a missing file): give the
    // others a moment to print their own error before the abort kills them.
    std::this_thread::sleep_for(std::chrono::seconds(1));
    MPI_Abort(MPI_COMM_WORLD, exit_code);
  }
  std::_Exit(exit_code);
}

std::unique_ptr<Communicator> make_cpu_communicator(double timeout_seconds) {
  if (!job().uses_mpi || job().world_size == 1) return std::make_unique<LocalCommunicator>();
  return std::make_unique<MpiCommunicator>(timeout_seconds);
}

}  // namespace scorch::launch
