// The launch tooling: the scorch-mpirun wrapper, and the Slurm template run
// against stand-ins for srun (mpirun underneath) and scontrol, so its signal
// forwarding, checkpoint-on-USR1 and requeue logic run for real.
#include "cli_support.h"
#include "data_test_support.h"
#include "data/tensor_archive.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

namespace scorch::testing {
namespace {


TEST(ScorchMpirun, SetsThreadsFileLockingAndBindingAndRunsTheRanks) {
  const std::string wrapper = "SCORCH_BINARY=" + std::string(SCORCH_BINARY) + " NCCL_DEBUG=WARN " + source_path("launch/scorch-mpirun");
  const CliRun dry = run_command(wrapper + " -np 2 --threads 1 --dry-run --mpi \"--hostfile hosts\" -- config --keys");
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  // --mpi's words reach mpirun as separate arguments (the dry run shows one
  // argument with a blank as "a\ b").
  for (const char* expected : {"-np 2", "OMP_NUM_THREADS=1", "HDF5_USE_FILE_LOCKING=FALSE", "-x NCCL_DEBUG",
                               " --hostfile hosts ", "config --keys"}) {
    EXPECT_NE(dry.out.find(expected), std::string::npos) << expected << " in " << dry.out;
  }
  EXPECT_EQ(run_command(wrapper + " -np 2 -- config --keys").exit_code, 0);
  // Every rank sees the environment: run `env` as the "binary" and count.
  const CliRun env = run_command("SCORCH_BINARY=/usr/bin/env NCCL_DEBUG=WARN " + source_path("launch/scorch-mpirun") +
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

// Stand-ins for srun (its options dropped, the ranks started by mpirun, as
// the MPI plugin would) and scontrol (which logs its arguments to `requeue_log`),
// in a directory to put first on PATH.
std::string fake_slurm_bin(const std::string& requeue_log) {
  const std::string bin = temp_path("fake_slurm_bin");
  std::filesystem::create_directories(bin);
  std::filesystem::remove(requeue_log);
  std::ofstream(bin + "/srun") << "#!/bin/bash\nwhile [[ $1 == --* ]]; do shift; done\n"
                                  "exec mpirun --allow-run-as-root --oversubscribe -np 2 -x OMP_NUM_THREADS=1 \"$@\"\n";
  std::ofstream(bin + "/scontrol") << "#!/bin/bash\necho \"$@\" >> " << requeue_log << "\n";
  std::filesystem::permissions(bin + "/srun", std::filesystem::perms::owner_all);
  std::filesystem::permissions(bin + "/scontrol", std::filesystem::perms::owner_all);
  return bin;
}

// Runs `script`, which sends USR1 to a job: the job log says so, the job
// exits with 0, and it has requeued itself once.
void expect_requeued_on_usr1(const std::string& script, const std::string& log, const std::string& requeue_log,
                             const std::string& job_id) {
  const int status = std::system(("bash -c '" + script + "'").c_str());
  const std::string output = file_text(log);
  EXPECT_EQ(WEXITSTATUS(status), 0) << output;
  EXPECT_NE(output.find("caught USR1"), std::string::npos) << output;
  EXPECT_EQ(file_text(requeue_log), "requeue " + job_id + "\n") << output;
}

TEST(SlurmTemplate, UsrOneCheckpointsThroughSrunAndRequeues) {
  const std::string requeue_log = temp_path("requeue.log");
  const std::string bin = fake_slurm_bin(requeue_log);

  const std::string data = write_indexed_dataset("slurm_data.h5", 64, 1, 8);
  const std::string config = temp_path("slurm.yaml");
  std::ofstream(config) << "model: {name: mlp, input_shape: [1, 8, 8], mlp: {hidden: [32]}}\n"
                        << "data: {train: " << data << "}\ntrain: {steps: 1000000, batch_size: 8}\n";
  const std::string workdir = temp_path("slurm_run");
  testing::remove_tree(workdir);
  const std::string log = temp_path("slurm_job.out");
  const std::string job = "PATH=" + bin + ":$PATH CONFIG=" + config + " WORKDIR=" + workdir +
                          " SCORCH=" + SCORCH_BINARY + " SLURM_JOB_ID=4242 SLURM_JOB_NAME=test SLURM_JOB_NUM_NODES=1 " +
                          "bash " + source_path("launch/slurm/scorch-train.sbatch") + " > " + log + " 2>&1";
  // Start the job, wait for training to begin, then send the time-limit signal to the batch shell.
  const std::string script = "(" + job + ") & pid=$!; for i in $(seq 600); do [ -e " + workdir +
                             "/metrics.jsonl ] && break; sleep 0.1; done; sleep 1; kill -USR1 $pid; wait $pid";
  expect_requeued_on_usr1(script, log, requeue_log, "4242");
  EXPECT_TRUE(std::filesystem::exists(workdir + "/checkpoints/latest")) << file_text(log);
}

TEST(SlurmTemplate, EvaluationFollowsTheRunAndRequeuesOnUsrOne) {
  const std::string requeue_log = temp_path("evaluate_requeue.log");
  const std::string bin = fake_slurm_bin(requeue_log);
  const std::string data = write_indexed_dataset("slurm_eval_data.h5", 32, 1, 8);
  const std::string train = temp_path("slurm_eval_train.yaml");
  std::ofstream(train) << "sde: {name: vp}\nobjective: {kind: sde}\n"
                          "model: {name: mlp, input_shape: [1, 8, 8], mlp: {hidden: [16]}}\n"
                       << "data: {train: " << data << "}\ntrain: {steps: 2, batch_size: 8}\ncheckpoint: {every: 2}\n";
  const std::string run = temp_path("slurm_eval_run");
  testing::remove_tree(run);
  ASSERT_EQ(run_scorch("train --config " + train + " --workdir " + run).exit_code, 0);
  const std::string evaluation = temp_path("slurm_eval.yaml");
  std::ofstream(evaluation) << "metrics: nll\nlikelihood: {data: " << data
                            << ", count: 4, batch_size: 4, rtol: 1e-3, atol: 1e-3}\n";
  const auto job = [&](const std::string& workdir, const std::string& report, const std::string& log) {
    return "PATH=" + bin + ":$PATH EVAL_CONFIG=" + evaluation + " WORKDIR=" + workdir + " REPORT=" + report +
           " WATCH_INTERVAL=0.2 SCORCH=" + SCORCH_BINARY + " SLURM_JOB_ID=4343 SLURM_JOB_NAME=test " + "bash " +
           source_path("launch/slurm/scorch-evaluate.sbatch") + " > " + log + " 2>&1";
  };

  // A finished run: the job evaluates its checkpoint and ends without a requeue.
  const std::string report = temp_path("slurm_eval_report"), log = temp_path("slurm_eval_job.out");
  testing::remove_tree(report);
  const int status = std::system(("bash -c '" + job(run, report, log) + "'").c_str());
  EXPECT_EQ(WEXITSTATUS(status), 0) << file_text(log);
  EXPECT_TRUE(std::filesystem::exists(report + "/report.json")) << file_text(log);
  EXPECT_FALSE(std::filesystem::exists(requeue_log));

  // A run still training (no `finished`): USR1 stops the watch and requeues the job.
  std::filesystem::remove(run + "/checkpoints/finished");
  const std::string watched = temp_path("slurm_eval_report_2"), log2 = temp_path("slurm_eval_job_2.out");
  testing::remove_tree(watched);
  const std::string script = "(" + job(run, watched, log2) + ") & pid=$!; for i in $(seq 600); do [ -e " + watched +
                             "/report.json ] && break; sleep 0.1; done; kill -USR1 $pid; wait $pid";
  expect_requeued_on_usr1(script, log2, requeue_log, "4343");
}

// Two network namespaces joined by a veth pair stand for two nodes
// (scripts/netns-nodes); scorch-mpirun starts one rank on each from a
// hostfile, Open MPI picking the veth subnet for its TCP traffic, and the run
// equals two ranks on one node bit for bit.
TEST(ScorchMpirun, TwoRanksOnTwoNamespaceNodesTrainAsTwoLocalRanks) {
  const CliRun check = run_command(source_path("scripts/netns-nodes") + " check");
  if (check.exit_code != 0) GTEST_SKIP() << check.err;
  const std::string hostfile = temp_path("netns_hosts");
  ASSERT_EQ(run_command(source_path("scripts/netns-nodes") + " start " + hostfile).exit_code, 0);
  struct Teardown {
    ~Teardown() { run_command(source_path("scripts/netns-nodes") + " stop"); }
  } teardown;

  const std::string data = write_indexed_dataset("netns_data.h5", 64, 1, 8);
  const std::string config = temp_path("netns.yaml");
  std::ofstream(config) << "model: {name: mlp, input_shape: [1, 8, 8], mlp: {hidden: [16]}}\n"
                        << "data: {train: " << data << "}\ntrain: {steps: 100, batch_size: 8}\ncheckpoint: {every: 100}\n";
  const std::string across = temp_path("netns_across"), local = temp_path("netns_local");
  testing::remove_tree(across);
  testing::remove_tree(local);
  const std::string launch = "SCORCH_BINARY=" + std::string(SCORCH_BINARY) + " ip netns exec scorch-n1 " +
                             source_path("launch/scorch-mpirun") + " -np 2 --threads 1 --bind none --mpi \"--hostfile " +
                             hostfile + "\" --mpi \"--mca plm_rsh_agent " + source_path("scripts/netns-agent") +
                             "\" --mpi \"--mca btl_tcp_if_include 10.77.0.0/24 --mca oob_tcp_if_include 10.77.0.0/24\"";
  const CliRun run = run_command(launch + " -- train --config " + config + " --workdir " + across);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.err.find("with 2 rank(s) [mpi]"), std::string::npos) << run.err;
  ASSERT_EQ(run_scorch("train --config " + config + " --workdir " + local, mpirun(2)).exit_code, 0);
  const std::string last = "/checkpoints/checkpoint_00000100.h5";
  EXPECT_EQ(data::read_root_text_attribute(across + last, "content_hash"),
            data::read_root_text_attribute(local + last, "content_hash"));
}

}  // namespace
}  // namespace scorch::testing
