// End-to-end tests of `scorch train`: multi-rank equivalence, bitwise resume
// after SIGTERM, a rank killed with SIGKILL, and bad input under mpirun.
#include "checkpoint_test_support.h"
#include "cli_support.h"
#include "data_test_support.h"
#include "trainer/checkpoint.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

namespace scorch::testing {
namespace {

using Clock = std::chrono::steady_clock;

// A 1×8×8 dataset and an MLP config small enough for a test to take seconds.
std::string write_config(const std::string& name, std::int64_t steps, const std::string& extra = "",
                         const std::string& hidden = "[64, 64]") {
  static const std::string dataset = write_indexed_dataset("train_cli_data.h5", 256, 1, 8);
  const std::string path = temp_path(name + ".yaml");
  std::ofstream(path) << "sde: {name: vp}\n"
                         "objective: {kind: sde, reduction: mean}\n"
                         "model: {name: mlp, input_shape: [1, 8, 8], mlp: {hidden: " << hidden << "}}\n"
                         "data: {train: " << dataset << ", random_flip: true}\n"
                         "train: {steps: " << steps << ", batch_size: 16, log_every: 1}\n"
                         "optim: {warmup: 5}\n"
                         "ema: {rate: 0.99}\n"
                         "checkpoint: {every: 5}\n" << extra;
  return path;
}

std::string fresh_workdir(const std::string& name) {
  const std::string path = temp_path(name);
  testing::remove_tree(path);
  return path;
}

double relative_difference(const std::map<std::string, at::Tensor>& a, const std::map<std::string, at::Tensor>& b) {
  double worst = 0.0;
  for (const auto& [name, tensor] : a) {
    const at::Tensor other = b.at(name);
    worst = std::max(worst, ((tensor - other).abs().max() / other.abs().max()).item<double>());
  }
  return worst;
}

std::int64_t last_logged_step(const std::string& workdir) {
  std::ifstream in(workdir + "/metrics.jsonl");
  std::string line;
  std::int64_t step = 0;
  while (std::getline(in, line)) {
    const auto record = nlohmann::json::parse(line, nullptr, false);
    if (!record.is_discarded()) step = record.value("step", step);
  }
  return step;
}

// Two runs that should differ only by floating-point summation order.
void expect_same_weights(const trainer::Checkpoint& a, const trainer::Checkpoint& b) {
  EXPECT_EQ(a.state.step, b.state.step);
  EXPECT_LT(relative_difference(a.model, b.model), 1e-5);
  EXPECT_LT(relative_difference(a.ema, b.ema), 1e-5);
}

// A shell command running in the background.
struct Background {
  pid_t pid;
  explicit Background(const std::string& command) {
    pid = fork();
    if (pid == 0) {
      execl("/bin/sh", "sh", "-c", ("exec " + command).c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  // The exit status, or -1 if it had not ended within the time.
  int wait_for(double seconds) const {
    const auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
    while (Clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }
};

// Runs `train_args` (everything but --workdir) on 1 process and on 2 ranks and
// checks that both end at `steps` with the same model and EMA, and that the
// model moved after the checkpoint at `midway` (a no-op trainer would also
// "agree").
void expect_one_and_two_ranks_agree(const std::string& name, const std::string& train_args, std::int64_t steps,
                                    std::int64_t midway) {
  const std::string one = fresh_workdir(name + "_one"), two = fresh_workdir(name + "_two");
  const CliRun single = run_scorch(train_args + " --workdir " + one, "OMP_NUM_THREADS=1");
  ASSERT_EQ(single.exit_code, 0) << single.err;
  const CliRun pair = run_scorch(train_args + " --workdir " + two, mpirun(2));
  ASSERT_EQ(pair.exit_code, 0) << pair.err;
  const trainer::Checkpoint a = final_checkpoint(one), b = final_checkpoint(two);
  EXPECT_EQ(a.state.step, steps);
  EXPECT_EQ(b.state.world_size, 2);
  expect_same_weights(a, b);
  const trainer::Checkpoint first = trainer::read_checkpoint(fmt::format("{}/checkpoints/checkpoint_{:08d}.h5", one, midway));
  EXPECT_GT(relative_difference(a.model, first.model), 1e-3);
}

TEST(TrainCli, OneRankAndTwoRanksGiveTheSameModelAndEma) {
  expect_one_and_two_ranks_agree("equivalence", "train --config " + write_config("equivalence", 20), 20, 10);
}

// The counter-based device noise is keyed by global index too, so the world size still changes nothing.
TEST(TrainCli, DeviceNoiseTrainsTheSameOnOneAndTwoRanks) {
  const std::string config = write_config("device_noise", 20);
  expect_one_and_two_ranks_agree("device_noise", "train --config " + config + " --set noise.device=device", 20, 10);
  const std::string host = fresh_workdir("device_noise_host");
  ASSERT_EQ(run_scorch("train --config " + config + " --workdir " + host, "OMP_NUM_THREADS=1").exit_code, 0);
  EXPECT_GT(relative_difference(final_checkpoint(host).model, final_checkpoint(temp_path("device_noise_one")).model),
            1e-4)
      << "noise.device: device drew the host's noise";
}

TEST(TrainCli, DeviceNoiseRefusesNonGaussianFamiliesInOneLine) {
  expect_one_line_error(run_scorch("train --config " + config_path("toy_two_modes_gn") +
                                   " --set noise.device=device --workdir " + fresh_workdir("device_noise_gn")),
                        "noise.device: device draws Gaussian noise only");
  expect_one_line_error(run_scorch("train --config " + config_path("dlpm_grid") + " --set noise.device=device --workdir " +
                                   fresh_workdir("device_noise_dlpm")),
                        "noise.device: device is not available");
}

TEST(TrainCli, DlpmOnAToyTrainsTheSameOnOneAndTwoRanks) {
  // The DLPM objective with per-coordinate A and a median of 3 draws, on
  // built-in toy data sharded over the ranks. A larger Adam eps keeps
  // near-zero gradient components, whose sign the ranks' summation order may
  // flip, from turning into full ±lr steps.
  expect_one_and_two_ranks_agree("dlpm",
                                 "train --config " + config_path("dlpm_grid") +
                                     " --set train.steps=12 --set train.batch_size=64 --set checkpoint.every=6"
                                     " --set noise.alpha=1.7 --set noise.isotropic=false"
                                     " --set objective.median_of_means=3 --set data.synthetic_count=2000"
                                     " --set optim.lr=1e-3 --set optim.eps=1e-6",
                                 12, 6);
}

// SIGTERM part-way, then --resume auto: the final checkpoint equals an
// uninterrupted run's bit for bit. `settings` follows --config (e.g. " --set k=v").
void expect_bitwise_resume_after_sigterm(const std::string& name, const std::string& settings) {
  const std::int64_t steps = 300;
  const std::string config = write_config(name, steps, "", "[256, 256]") + settings;
  const std::string straight = fresh_workdir(name + "_straight"), interrupted = fresh_workdir(name + "_interrupted");
  ASSERT_EQ(run_scorch("train --config " + config + " --workdir " + straight, "OMP_NUM_THREADS=1").exit_code, 0);

  Background first(std::string("env OMP_NUM_THREADS=1 ") + SCORCH_BINARY + " train --config " + config + " --workdir " +
                   interrupted + " 2>" + interrupted + ".log");
  ASSERT_TRUE(wait_until([&] { return last_logged_step(interrupted) >= 20; }, 60.0));
  kill(first.pid, SIGTERM);
  EXPECT_EQ(first.wait_for(60.0), 0);
  const std::int64_t stopped_at = final_checkpoint(interrupted).state.step;
  ASSERT_LT(stopped_at, steps) << "the run finished before SIGTERM arrived";

  const CliRun resumed =
      run_scorch("train --config " + config + " --workdir " + interrupted + " --resume auto", "OMP_NUM_THREADS=1");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("resuming at step " + std::to_string(stopped_at)), std::string::npos) << resumed.err;
  const trainer::Checkpoint a = final_checkpoint(straight), b = final_checkpoint(interrupted);
  EXPECT_EQ(b.state.step, steps);
  EXPECT_TRUE(identical(a.model, b.model));
  EXPECT_TRUE(identical(a.ema, b.ema));
  EXPECT_TRUE(identical(a.optimizer.at("exp_avg"), b.optimizer.at("exp_avg")));
  EXPECT_TRUE(identical(a.optimizer.at("exp_avg_sq"), b.optimizer.at("exp_avg_sq")));
  EXPECT_EQ(a.state.ema_updates, b.state.ema_updates);
  EXPECT_EQ(a.state.cursor, b.state.cursor);
  EXPECT_EQ(last_logged_step(interrupted), steps);
}

TEST(TrainCli, ResumeAfterSigtermIsBitwiseIdentical) { expect_bitwise_resume_after_sigterm("resume", ""); }

// CPU bf16 autocast runs the MLP's matrix products in bf16; resume stays bitwise.
TEST(TrainCli, Bf16ResumeAfterSigtermIsBitwiseIdentical) {
  expect_bitwise_resume_after_sigterm("resume_bf16", " --set train.precision=bf16");
}

// The mean logged loss of steps first..last.
double mean_loss(const std::string& workdir, std::int64_t first, std::int64_t last) {
  std::ifstream in(workdir + "/metrics.jsonl");
  std::string line;
  double sum = 0.0;
  std::int64_t count = 0;
  while (std::getline(in, line)) {
    const auto record = nlohmann::json::parse(line, nullptr, false);
    const std::int64_t step = record.value("step", std::int64_t{0});
    if (step < first || step > last) continue;
    sum += record.at("loss").get<double>();
    ++count;
  }
  EXPECT_EQ(count, last - first + 1);
  return sum / static_cast<double>(count);
}

// The same run (same data order, times and noise) in fp32 and with bf16
// autocast: the training loss over the last 100 of 400 steps agrees within 2%,
// yet differs, so bf16 was used.
TEST(TrainCli, Bf16TrainingReachesTheFp32LossWithinTwoPercent) {
  const std::string config = write_config("bf16_loss", 400, "checkpoint: {every: 400}\n", "[256, 256]");
  const std::string fp32 = fresh_workdir("loss_fp32"), bf16 = fresh_workdir("loss_bf16");
  const CliRun full = run_scorch("train --config " + config + " --workdir " + fp32, "OMP_NUM_THREADS=1");
  ASSERT_EQ(full.exit_code, 0) << full.err;
  const CliRun low =
      run_scorch("train --config " + config + " --set train.precision=bf16 --workdir " + bf16, "OMP_NUM_THREADS=1");
  ASSERT_EQ(low.exit_code, 0) << low.err;
  const double reference = mean_loss(fp32, 301, 400), ours = mean_loss(bf16, 301, 400);
  EXPECT_LT(std::abs(ours - reference) / reference, 0.02) << "fp32 " << reference << ", bf16 " << ours;
  EXPECT_NE(mean_loss(fp32, 1, 10), mean_loss(bf16, 1, 10)) << "bf16 changed nothing";
  const trainer::Checkpoint a = final_checkpoint(fp32), b = final_checkpoint(bf16);
  EXPECT_EQ(b.model.begin()->second.scalar_type(), at::kFloat) << "the master weights must stay fp32";
  EXPECT_GT(relative_difference(a.model, b.model), 0.0);
}

// A requeued job whose newest checkpoint is truncated warns, resumes from the
// one before it and ends bitwise equal to an uninterrupted run.
TEST(TrainCli, ResumeAutoSkipsACheckpointThatDoesNotLoad) {
  const std::string config = write_config("skip_damaged", 20);
  const std::string straight = fresh_workdir("skip_straight"), cut = fresh_workdir("skip_cut");
  ASSERT_EQ(run_scorch("train --config " + config + " --workdir " + straight, "OMP_NUM_THREADS=1").exit_code, 0);
  ASSERT_EQ(run_scorch("train --config " + config + " --set train.steps=15 --workdir " + cut, "OMP_NUM_THREADS=1")
                .exit_code,
            0);
  const std::string newest = cut + "/checkpoints/checkpoint_00000015.h5";
  std::filesystem::resize_file(newest, std::filesystem::file_size(newest) / 2);
  expect_one_line_error(run_scorch("train --config " + config + " --workdir " + cut + " --resume " + newest),
                        "checkpoint_00000015.h5");
  const CliRun resumed =
      run_scorch("train --config " + config + " --workdir " + cut + " --resume auto", "OMP_NUM_THREADS=1");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("skipping " + newest), std::string::npos) << resumed.err;
  EXPECT_NE(resumed.err.find("resuming at step 10"), std::string::npos) << resumed.err;
  const trainer::Checkpoint a = final_checkpoint(straight), b = final_checkpoint(cut);
  EXPECT_EQ(b.state.step, 20);
  EXPECT_TRUE(identical(a.model, b.model));
  EXPECT_TRUE(identical(a.ema, b.ema));
  EXPECT_TRUE(identical(a.optimizer.at("exp_avg_sq"), b.optimizer.at("exp_avg_sq")));
  EXPECT_EQ(last_logged_step(cut), 20);
}

TEST(TrainCli, KillingOneRankEndsTheOtherAndKeepsTheLastCheckpoint) {
  const std::string config = write_config("kill", 1000000, "distributed: {timeout_s: 20}\n");
  const std::string workdir = fresh_workdir("kill");
  Background job(mpirun(2) + SCORCH_BINARY + " train --config " + config + " --workdir " + workdir + " 2>/dev/null");
  ASSERT_TRUE(wait_until([&] { return last_logged_step(workdir) >= 12; }, 60.0));
  std::string ranks;
  {
    FILE* pipe = popen(("pgrep -P " + std::to_string(job.pid)).c_str(), "r");
    std::array<char, 256> buffer{};
    while (fgets(buffer.data(), buffer.size(), pipe) != nullptr) ranks += buffer.data();
    pclose(pipe);
  }
  const pid_t victim = static_cast<pid_t>(std::stol(ranks));
  ASSERT_GT(victim, 0);
  kill(victim, SIGKILL);
  const int status = job.wait_for(60.0);
  if (status == -1) kill(job.pid, SIGKILL);
  EXPECT_NE(status, -1) << "the surviving rank did not end";
  EXPECT_NE(status, 0);
  const trainer::Checkpoint last = final_checkpoint(workdir);
  EXPECT_GE(last.state.step, 10);
  EXPECT_FALSE(last.model.empty());
}

TEST(TrainCli, BadInputEndsEveryRankWithOneError) {
  const std::string config = write_config("bad", 10);
  const CliRun bad_value = run_scorch("train --config " + config + " --workdir " + fresh_workdir("bad_value") +
                                          " --set train.batch_size=0",
                                      mpirun(2));
  EXPECT_NE(bad_value.exit_code, 0);
  for (const char* rank : {"[scorch 0/2] error:", "[scorch 1/2] error:"}) {
    EXPECT_NE(bad_value.err.find(rank), std::string::npos) << bad_value.err;
  }
  EXPECT_NE(bad_value.err.find("train.batch_size"), std::string::npos);

  const CliRun missing = run_scorch("train --config " + config + " --workdir " + fresh_workdir("bad_missing") +
                                        " --set data.train=/nonexistent/train.h5",
                                    mpirun(2));
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("/nonexistent/train.h5"), std::string::npos) << missing.err;
  EXPECT_NE(missing.err.find("[scorch 1/2] error:"), std::string::npos) << missing.err;

  // Two ranks launched with different configs (MPMD): each must say so and stop.
  const std::string arguments = "train --config " + config + " --workdir " + fresh_workdir("bad_mismatch");
  const CliRun mismatch = run_scorch(arguments + " --set seed=1 : -np 1 -x OMP_NUM_THREADS=1 " + SCORCH_BINARY + " " +
                                         arguments + "",
                                     mpirun(1));
  EXPECT_NE(mismatch.exit_code, 0);
  for (const char* rank : {"[scorch 0/2] error: the resolved config differs across ranks",
                           "[scorch 1/2] error: the resolved config differs across ranks"}) {
    EXPECT_NE(mismatch.err.find(rank), std::string::npos) << mismatch.err;
  }
}

TEST(TrainCli, AskingForCudaWithoutAGpuIsOneError) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "a GPU is visible";
  const std::string config = write_config("cuda", 10);
  expect_one_line_error(run_scorch("train --config " + config + " --workdir " + fresh_workdir("cuda") +
                                   " --set distributed.device=cuda"),
                        "device cuda (distributed.device, --device)");
  expect_one_line_error(run_scorch("fid --device cuda " + config + " " + config), "device cuda (distributed.device, --device)");
}

TEST(TrainCli, AFailedCheckpointWriteKeepsThePreviousOne) {
  const std::string config = write_config("failed_write", 10);
  const std::string workdir = fresh_workdir("failed_write");
  // A directory where the step-10 file's temporary must go makes that write fail, as a full disk would.
  std::filesystem::create_directories(workdir + "/checkpoints/checkpoint_00000010.h5.partial");
  const CliRun run = run_scorch("train --config " + config + " --workdir " + workdir);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("step 10: checkpoint not written"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("the last good one is"), std::string::npos) << run.err;
  const trainer::Checkpoint kept = final_checkpoint(workdir);
  EXPECT_EQ(kept.state.step, 5);
  EXPECT_FALSE(kept.model.empty());
}

TEST(TrainCli, ResumesOnADifferentWorldSizeWithTheSameGlobalBatch) {
  const std::string short_run = write_config("world_change_short", 10);
  const std::string long_run = write_config("world_change_long", 20);
  const std::string straight = fresh_workdir("world_change_straight"), moved = fresh_workdir("world_change_moved");
  ASSERT_EQ(run_scorch("train --config " + long_run + " --workdir " + straight, "OMP_NUM_THREADS=1").exit_code, 0);
  ASSERT_EQ(run_scorch("train --config " + short_run + " --workdir " + moved, mpirun(2)).exit_code, 0);
  const CliRun resumed =
      run_scorch("train --config " + long_run + " --workdir " + moved + " --resume auto", "OMP_NUM_THREADS=1");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  const trainer::Checkpoint a = final_checkpoint(straight), b = final_checkpoint(moved);
  EXPECT_EQ(b.state.step, 20);
  EXPECT_EQ(b.state.world_size, 1);
  expect_same_weights(a, b);
}

TEST(TrainCli, ATimeLimitStopsOnTwoRanksWithACheckpointAndResumeGoesOn) {
  const std::string config = write_config("time_limit", 1000000, "", "[256, 256]");
  const std::string workdir = fresh_workdir("time_limit");
  const auto start = Clock::now();
  const CliRun limited =
      run_scorch("train --config " + config + " --workdir " + workdir + " --set train.time_limit_min=0.05", mpirun(2));
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  ASSERT_EQ(limited.exit_code, 0) << limited.err;
  EXPECT_NE(limited.err.find("train.time_limit_min reached"), std::string::npos) << limited.err;
  EXPECT_LT(seconds, 60.0);
  const std::int64_t stopped_at = final_checkpoint(workdir).state.step;
  EXPECT_GT(stopped_at, 0);
  EXPECT_LT(stopped_at, 1000000);
  // A new time limit does not change the run: the resume goes on from the checkpoint.
  const CliRun resumed = run_scorch("train --config " + config + " --workdir " + workdir +
                                    " --resume auto --set train.steps=" + std::to_string(stopped_at + 3),
                                    "OMP_NUM_THREADS=1");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(final_checkpoint(workdir).state.step, stopped_at + 3);
}

TEST(TrainCli, RefusesToOverwriteARunWithoutResume) {
  const std::string config = write_config("refuse", 5);
  const std::string workdir = fresh_workdir("refuse");
  ASSERT_EQ(run_scorch("train --config " + config + " --workdir " + workdir).exit_code, 0);
  const CliRun again = run_scorch("train --config " + config + " --workdir " + workdir);
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_EQ(line_count(again.err), 1) << again.err;
  EXPECT_NE(again.err.find("--resume auto"), std::string::npos);
  const CliRun changed = run_scorch("train --config " + config + " --workdir " + workdir +
                                    " --resume auto --set optim.lr=0.1 --set train.steps=10");
  EXPECT_EQ(changed.exit_code, 1);
  EXPECT_NE(changed.err.find("optim.lr"), std::string::npos) << changed.err;
}

TEST(TrainCli, WritesPreviewGridsBesideCheckpointsWithoutChangingTraining) {
  const std::string config = write_config("preview", 10);
  const std::string plain = fresh_workdir("no_preview"), previewed = fresh_workdir("preview");
  ASSERT_EQ(run_scorch("train --config " + config + " --workdir " + plain).exit_code, 0);
  const CliRun run = run_scorch("train --config " + config + " --workdir " + previewed +
                                " --set checkpoint.preview_images=4");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  for (const char* step : {"00000005", "00000010"}) {
    std::ifstream png(previewed + "/previews/step_" + step + ".png", std::ios::binary);
    char magic[4] = {};
    png.read(magic, 4);
    EXPECT_EQ(std::string(magic + 1, 3), "PNG") << step;
  }
  EXPECT_FALSE(std::filesystem::exists(plain + "/previews"));
  EXPECT_TRUE(identical(final_checkpoint(plain).model, final_checkpoint(previewed).model));
  EXPECT_TRUE(identical(final_checkpoint(plain).ema, final_checkpoint(previewed).ema));
}

}  // namespace
}  // namespace scorch::testing
