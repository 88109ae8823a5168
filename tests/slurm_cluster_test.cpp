// The Slurm templates under a real Slurm: Debian's munged, slurmctld and
// slurmd on this machine (scripts/local-slurm), one cluster per test with its
// own directory and ports. Jobs start 2 ranks through `srun --mpi=pmix`
// (Slurm's pmix_v4 plugin and Open MPI's ext3x component). Skipped, with the
// reason, where Slurm is not installed or the tests do not run as root.
#include "checkpoint_test_support.h"
#include "cli_support.h"
#include "data_test_support.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

namespace scorch::testing {
namespace {

// A single-node cluster for the life of the object; SLURM_CONF points at it.
class LocalSlurm {
 public:
  LocalSlurm() : directory_(temp_path("slurm_cluster")) {
    const CliRun check = run_command(source_path("scripts/local-slurm") + " check");
    if (check.exit_code != 0) {
      unavailable_ = check.err;
      return;
    }
    remove_tree(directory_);
    const CliRun start = run_command(source_path("scripts/local-slurm") + " start " + directory_);
    if (start.exit_code != 0) {
      failure_ = start.err;
      return;
    }
    setenv("SLURM_CONF", (directory_ + "/slurm.conf").c_str(), 1);
    started_ = true;
  }
  ~LocalSlurm() {
    if (started_) run_command(source_path("scripts/local-slurm") + " stop " + directory_);
  }
  const std::string& unavailable() const { return unavailable_; }
  bool started() const { return started_; }
  const std::string& failure() const { return failure_; }

 private:
  std::string directory_, unavailable_, failure_;
  bool started_ = false;
};

#define REQUIRE_LOCAL_SLURM(cluster)                                                   \
  if (!(cluster).unavailable().empty()) GTEST_SKIP() << (cluster).unavailable();        \
  ASSERT_TRUE((cluster).started()) << "scripts/local-slurm start failed: " << (cluster).failure()

// sbatch of a template on one node with 2 ranks and no GPUs; returns the job id.
std::string submit(const std::string& environment, const std::string& job_template, const std::string& log) {
  const CliRun run = run_command(environment + " sbatch --parsable --nodes=1 --ntasks-per-node=2 --gpus-per-node=0 "
                                 "--cpus-per-task=1 --output=" + log + " " + source_path(job_template));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  return run.out.substr(0, run.out.find_first_of(";\n"));
}

// The job's fields (JobState, Restarts, ...) as scontrol shows them.
std::map<std::string, std::string> job_fields(const std::string& job) {
  std::map<std::string, std::string> fields;
  std::istringstream words(run_command("scontrol show job -o " + job).out);
  for (std::string word; words >> word;) {
    const std::size_t equals = word.find('=');
    if (equals != std::string::npos) fields[word.substr(0, equals)] = word.substr(equals + 1);
  }
  return fields;
}

// For failure messages: what scontrol says of the job.
std::string job_description(const std::string& job) { return "\n" + run_command("scontrol show job " + job).out; }

// Each scontrol is an RPC to slurmctld through munge: polled every 10 ms, as
// files are, they would take a core from the job's two ranks on a 2-core machine.
constexpr double kSlurmPoll = 0.5;

bool job_state_is(const std::string& job, const std::string& state) { return job_fields(job)["JobState"] == state; }

// A small training run: 64 images of 8×8 and an MLP, `steps` steps of 8, a
// checkpoint every `every` steps.
std::string write_training_config(const std::string& name, std::int64_t steps, std::int64_t every) {
  static const std::string data = write_indexed_dataset("slurm_cluster_data.h5", 64, 1, 8);
  const std::string path = temp_path(name + ".yaml");
  std::ofstream(path) << "sde: {name: vp}\nobjective: {kind: sde}\n"
                         "model: {name: mlp, input_shape: [1, 8, 8], mlp: {hidden: [16]}}\n"
                      << "data: {train: " << data << "}\n"
                      << "train: {steps: " << steps << ", batch_size: 8, log_every: 50}\n"
                      << "checkpoint: {every: " << every << ", keep: 100}\n";
  return path;
}

// A temporary path with nothing at it.
std::string fresh_path(const std::string& name) {
  const std::string path = temp_path(name);
  remove_tree(path);
  return path;
}

std::string training_job(const std::string& config, const std::string& workdir) {
  return "CONFIG=" + config + " WORKDIR=" + workdir + " SCORCH=" + SCORCH_BINARY;
}

TEST(LiveSlurm, UsrOneCheckpointsAndRequeuesAndTheResumedRunEqualsAnUninterruptedOne) {
  LocalSlurm cluster;
  REQUIRE_LOCAL_SLURM(cluster);
  const std::string config = write_training_config("slurm_requeue", 2000, 100);
  const std::string straight = fresh_path("slurm_straight"), requeued = fresh_path("slurm_requeued");
  ASSERT_EQ(run_scorch("train --config " + config + " --workdir " + straight, mpirun(2)).exit_code, 0);

  const std::string log = temp_path("slurm_requeue.out");
  const std::string job = submit(training_job(config, requeued), "launch/slurm/scorch-train.sbatch", log);
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(requeued + "/checkpoints/latest"); }, 120)) << file_text(log);
  // What Slurm sends before the time limit (--signal=B:USR1@300), sent now.
  ASSERT_EQ(run_command("scancel --signal=USR1 --batch " + job).exit_code, 0);
  // Requeued, Slurm holds the job back for a while (its reason reads
  // BeginTime); once it is pending again, let it start sooner. Not at once:
  // the requeue revoked the job's credential, and slurmd refuses ("Job
  // credential revoked") a launch whose new credential dates from the same
  // second as the revocation.
  ASSERT_TRUE(wait_until([&] { return job_fields(job)["Restarts"] == "1" && job_state_is(job, "PENDING"); }, 120,
                         kSlurmPoll))
      << file_text(log) << job_description(job);
  std::this_thread::sleep_for(std::chrono::seconds(3));
  const CliRun release = run_command("scontrol update JobId=" + job + " StartTime=now");
  EXPECT_EQ(release.exit_code, 0) << release.err << job_description(job);
  ASSERT_TRUE(wait_until([&] { return job_state_is(job, "COMPLETED"); }, 180, kSlurmPoll))
      << file_text(log) << job_description(job);

  const std::string output = file_text(log);
  EXPECT_NE(output.find("caught USR1"), std::string::npos) << output;
  EXPECT_NE(output.find("(restart 1)"), std::string::npos) << output;
  EXPECT_NE(output.find("resuming at step"), std::string::npos) << output;
  EXPECT_NE(output.find("with 2 rank(s) [mpi]"), std::string::npos) << output;
  const trainer::Checkpoint a = final_checkpoint(straight), b = final_checkpoint(requeued);
  EXPECT_EQ(b.state.step, 2000);
  EXPECT_TRUE(identical(a.model, b.model));
  EXPECT_TRUE(identical(a.ema, b.ema));
  EXPECT_TRUE(identical(a.optimizer.at("exp_avg"), b.optimizer.at("exp_avg")));
  EXPECT_TRUE(std::filesystem::exists(requeued + "/checkpoints/finished"));
}

TEST(LiveSlurm, ScancelLeavesTheLastCheckpointLoadableAndTheJobCancelled) {
  LocalSlurm cluster;
  REQUIRE_LOCAL_SLURM(cluster);
  const std::string config = write_training_config("slurm_cancel", 1000000, 50);
  const std::string workdir = fresh_path("slurm_cancelled");
  const std::string log = temp_path("slurm_cancel.out");
  const std::string job = submit(training_job(config, workdir), "launch/slurm/scorch-train.sbatch", log);
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(workdir + "/checkpoints/latest"); }, 120)) << file_text(log);
  ASSERT_EQ(run_command("scancel " + job).exit_code, 0);
  ASSERT_TRUE(wait_until([&] { return job_state_is(job, "CANCELLED"); }, 60, kSlurmPoll)) << file_text(log);
  // Cancelled means cancelled: no requeue, even though the job checkpointed.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const auto fields = job_fields(job);
  EXPECT_EQ(fields.at("JobState"), "CANCELLED") << file_text(log);
  EXPECT_EQ(fields.at("Restarts"), "0") << file_text(log);
  trainer::CheckpointDirectory checkpoints(workdir + "/checkpoints", 1, 0);
  for (const std::string& path : checkpoints.files()) EXPECT_NO_THROW(trainer::read_checkpoint(path)) << path;
  EXPECT_GT(final_checkpoint(workdir).state.step, 0);
}

TEST(LiveSlurm, AnEvaluationJobBesideTrainingReportsEveryCheckpoint) {
  LocalSlurm cluster;
  REQUIRE_LOCAL_SLURM(cluster);
  const std::string config = write_training_config("slurm_watched", 600, 200);
  const std::string workdir = fresh_path("slurm_watched_run"), report = fresh_path("slurm_watched_report");
  const std::string evaluation = temp_path("slurm_watch_eval.yaml");
  std::ofstream(evaluation) << "metrics: nll\nlikelihood: {data: " << write_indexed_dataset("slurm_cluster_data.h5", 64, 1, 8)
                            << ", count: 4, batch_size: 4, rtol: 1e-3, atol: 1e-3}\n";
  // The evaluation job is queued first and waits for the run to appear.
  const std::string eval_log = temp_path("slurm_watch_eval.out"), train_log = temp_path("slurm_watch_train.out");
  const std::string evaluator = submit("EVAL_CONFIG=" + evaluation + " WORKDIR=" + workdir + " REPORT=" + report +
                                           " WATCH_INTERVAL=1 SCORCH=" + SCORCH_BINARY,
                                       "launch/slurm/scorch-evaluate.sbatch", eval_log);
  ASSERT_TRUE(wait_until([&] { return job_state_is(evaluator, "RUNNING"); }, 60, kSlurmPoll)) << file_text(eval_log);
  const std::string trainer = submit(training_job(config, workdir), "launch/slurm/scorch-train.sbatch", train_log);
  ASSERT_TRUE(wait_until([&] { return job_state_is(trainer, "COMPLETED"); }, 180, kSlurmPoll)) << file_text(train_log);
  ASSERT_TRUE(wait_until([&] { return job_state_is(evaluator, "COMPLETED"); }, 180, kSlurmPoll)) << file_text(eval_log);

  std::ifstream in(report + "/report.json");
  const nlohmann::json written = nlohmann::json::parse(in);
  ASSERT_EQ(written["checkpoints"].size(), 3u) << file_text(eval_log);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(written["checkpoints"][i]["step"], 200 * (i + 1));
  EXPECT_NE(file_text(eval_log).find("training finished and its final checkpoint is evaluated"), std::string::npos)
      << file_text(eval_log);
}

}  // namespace
}  // namespace scorch::testing
