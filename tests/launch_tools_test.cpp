// The launch tooling: the scorch-mpirun wrapper, and the Slurm template run
// against stand-ins for srun (mpirun underneath) and scontrol, so its signal
// forwarding, checkpoint-on-USR1 and requeue logic run for real.
#include "cli_support.h"
#include "data_test_support.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

namespace scorch::testing {
namespace {

std::string source(const std::string& relative) { return std::string(SCORCH_SOURCE_DIR) + "/" + relative; }

TEST(ScorchMpirun, SetsThreadsFileLockingAndBindingAndRunsTheRanks) {
  const std::string wrapper = "SCORCH_BINARY=" + std::string(SCORCH_BINARY) + " NCCL_DEBUG=WARN " + source("launch/scorch-mpirun");
  const CliRun dry = run_command(wrapper + " -np 2 --threads 1 --dry-run -- config --keys");
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  for (const char* expected : {"-np 2", "OMP_NUM_THREADS=1", "HDF5_USE_FILE_LOCKING=FALSE", "-x NCCL_DEBUG", "config --keys"}) {
    EXPECT_NE(dry.out.find(expected), std::string::npos) << expected << " in " << dry.out;
  }
  EXPECT_EQ(run_command(wrapper + " -np 2 -- config --keys").exit_code, 0);
  // Every rank sees the environment: run `env` as the "binary" and count.
  const CliRun env = run_command("SCORCH_BINARY=/usr/bin/env NCCL_DEBUG=WARN " + source("launch/scorch-mpirun") +
                               " -np 2 --threads 1 -- PROBE=1");
  ASSERT_EQ(env.exit_code, 0) << env.err;
  for (const char* variable : {"\nOMP_NUM_THREADS=1\n", "\nHDF5_USE_FILE_LOCKING=FALSE\n", "\nNCCL_DEBUG=WARN\n"}) {
    std::size_t count = 0;
    for (std::size_t at = env.out.find(variable); at != std::string::npos; at = env.out.find(variable, at + 1)) ++count;
    EXPECT_EQ(count, 2u) << variable;
  }

  const CliRun bad = run_command(wrapper + " -np 0 -- config");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("error: -np"), std::string::npos) << bad.err;
}

TEST(SlurmTemplate, UsrOneCheckpointsThroughSrunAndRequeues) {
  const std::string bin = temp_path("fake_slurm_bin");
  std::filesystem::create_directories(bin);
  const std::string requeue_log = temp_path("requeue.log");
  std::filesystem::remove(requeue_log);
  // srun: drop its options and start the ranks with mpirun, as the MPI plugin would.
  std::ofstream(bin + "/srun") << "#!/bin/bash\nwhile [[ $1 == --* ]]; do shift; done\n"
                                  "exec mpirun --allow-run-as-root --oversubscribe -np 2 -x OMP_NUM_THREADS=1 \"$@\"\n";
  std::ofstream(bin + "/scontrol") << "#!/bin/bash\necho \"$@\" >> " << requeue_log << "\n";
  std::filesystem::permissions(bin + "/srun", std::filesystem::perms::owner_all);
  std::filesystem::permissions(bin + "/scontrol", std::filesystem::perms::owner_all);

  const std::string data = write_indexed_dataset("slurm_data.h5", 64, 1, 8);
  const std::string config = temp_path("slurm.yaml");
  std::ofstream(config) << "model: {name: mlp, input_shape: [1, 8, 8], mlp: {hidden: [32]}}\n"
                        << "data: {train: " << data << "}\ntrain: {steps: 1000000, batch_size: 8}\n";
  const std::string workdir = temp_path("slurm_run");
  testing::remove_tree(workdir);
  const std::string log = temp_path("slurm_job.out");
  const std::string job = "PATH=" + bin + ":$PATH CONFIG=" + config + " WORKDIR=" + workdir +
                          " SCORCH=" + SCORCH_BINARY + " SLURM_JOB_ID=4242 SLURM_JOB_NAME=test SLURM_JOB_NUM_NODES=1 " +
                          "bash " + source("launch/slurm/scorch-train.sbatch") + " > " + log + " 2>&1";
  // Start the job, wait for training to begin, then send the time-limit signal to the batch shell.
  const std::string script = "(" + job + ") & pid=$!; for i in $(seq 600); do [ -e " + workdir +
                             "/metrics.jsonl ] && break; sleep 0.1; done; sleep 1; kill -USR1 $pid; wait $pid";
  const int status = std::system(("bash -c '" + script + "'").c_str());
  std::ifstream job_log(log);
  const std::string output{std::istreambuf_iterator<char>(job_log), {}};
  EXPECT_EQ(WEXITSTATUS(status), 0) << output;
  EXPECT_NE(output.find("caught USR1"), std::string::npos) << output;
  EXPECT_TRUE(std::filesystem::exists(workdir + "/checkpoints/latest")) << output;
  std::ifstream requeued(requeue_log);
  const std::string requeue{std::istreambuf_iterator<char>(requeued), {}};
  EXPECT_EQ(requeue, "requeue 4242\n") << output;
}

}  // namespace
}  // namespace scorch::testing
