// `scorch evaluate` end to end on a tiny VP model of 8×8 images: the same
// metrics from 1 and 2 ranks, resumption after a kill, and one-line errors.
#include "cli_support.h"
#include "data_test_support.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace scorch::testing {
namespace {

struct Fixture {
  std::string data, run, classifier;
};

// A VP model with checkpoints at steps 2 and 4, and a classifier, on quadrant images.
const Fixture& fixture() {
  static const Fixture made = [] {
    Fixture f{write_quadrant_dataset("evaluate_data.h5", 200), temp_path("evaluate_run"), temp_path("evaluate_classifier.h5")};
    testing::remove_tree(f.run);
    const std::string config = temp_path("evaluate_train.yaml");
    std::ofstream(config) << "sde: {name: vp}\nobjective: {kind: sde}\n"
                             "model: {name: mlp, input_shape: [1, 8, 8], mlp: {hidden: [32]}}\n"
                          << "data: {train: " << f.data << "}\n"
                          << "train: {steps: 4, batch_size: 8}\ncheckpoint: {every: 2}\n";
    EXPECT_EQ(run_scorch("train --config " + config + " --workdir " + f.run).exit_code, 0);
    EXPECT_EQ(run_scorch("train-classifier --data " + f.data + " --out " + f.classifier + " --epochs 1 --batch-size 32")
                  .exit_code,
              0);
    return f;
  }();
  return made;
}

std::string write_eval_config(const std::string& name, const std::string& extra = "") {
  const Fixture& f = fixture();
  const std::string path = temp_path(name + ".yaml");
  std::ofstream(path) << "checkpoints: " << f.run << "\n"
                      << "metrics: fid,is,kid,precision,recall,nll,bound\n"
                         "samples: {count: 24, sampler: ode, grid: 16}\n"
                         "sampler: {batch_size: 8, ode: {rtol: 1e-3, atol: 1e-3}}\n"
                      << "features: {extractor: " << f.classifier << ", reference: " << f.data << ", batch_size: 16}\n"
                      << "likelihood: {data: " << f.data << ", count: 12, batch_size: 5, rtol: 1e-3, atol: 1e-3}\n"
                      << "bound: {time_samples: 20}\n"
                      << extra;
  return path;
}

nlohmann::json read_report(const std::string& directory) {
  std::ifstream in(directory + "/report.json");
  return nlohmann::json::parse(in);
}

void expect_same_metrics(const nlohmann::json& a, const nlohmann::json& b, double relative) {
  ASSERT_EQ(a["checkpoints"].size(), b["checkpoints"].size());
  for (std::size_t i = 0; i < a["checkpoints"].size(); ++i) {
    const nlohmann::json& ma = a["checkpoints"][i]["metrics"];
    const nlohmann::json& mb = b["checkpoints"][i]["metrics"];
    ASSERT_EQ(ma.size(), mb.size());
    for (const auto& [key, value] : ma.items()) {
      const double x = value.get<double>(), y = mb[key].get<double>();
      EXPECT_NEAR(x, y, relative * std::max(1.0, std::abs(x))) << "checkpoint " << i << " " << key;
    }
  }
}

TEST(EvaluateCli, OneAndTwoRanksGiveTheSameReport) {
  const std::string config = write_eval_config("evaluate_ranks");
  const std::string one = temp_path("evaluate_one"), two = temp_path("evaluate_two");
  testing::remove_tree(one);
  testing::remove_tree(two);
  const CliRun single = run_scorch("evaluate --config " + config + " --report " + one, "OMP_NUM_THREADS=1");
  ASSERT_EQ(single.exit_code, 0) << single.err;
  const CliRun pair = run_scorch("evaluate --config " + config + " --report " + two, mpirun(2));
  ASSERT_EQ(pair.exit_code, 0) << pair.err;

  const nlohmann::json report = read_report(one);
  ASSERT_EQ(report["checkpoints"].size(), 2u);
  EXPECT_EQ(report["checkpoints"][0]["step"], 2);
  EXPECT_EQ(report["checkpoints"][1]["step"], 4);
  const nlohmann::json& metrics = report["checkpoints"][1]["metrics"];
  for (const char* key : {"fid", "is", "is_std", "kid", "kid_std", "precision", "recall", "nll_bpd", "nll_bpd_ci95",
                          "bound_bpd", "sample_nfe", "nll_nfe"}) {
    EXPECT_TRUE(metrics.contains(key)) << key;
  }
  EXPECT_GT(metrics["fid"].get<double>(), 0.0);
  EXPECT_GE(metrics["is"].get<double>(), 1.0);
  EXPECT_LE(metrics["is"].get<double>(), 4.0);  // four classes
  EXPECT_GT(metrics["nll_bpd"].get<double>(), 0.0);
  for (const char* share : {"precision", "recall"}) {
    EXPECT_GE(metrics[share].get<double>(), 0.0) << share;
    EXPECT_LE(metrics[share].get<double>(), 1.0) << share;
  }
  // The protocol next to the numbers: count, quantisation, extractor identity, KID subsets.
  EXPECT_EQ(report["settings"]["samples"]["count"], 24);
  EXPECT_EQ(report["settings"]["samples"]["quantize"], "round");
  EXPECT_EQ(report["settings"]["kid"]["subset_size"], 1000);
  EXPECT_NE(report["settings"]["extractor"].get<std::string>().find("classifier:"), std::string::npos);
  expect_same_metrics(report, read_report(two), 1e-6);
  EXPECT_TRUE(std::filesystem::exists(one + "/report.md"));
  EXPECT_TRUE(std::filesystem::exists(one + "/plots/fid.svg"));
  EXPECT_TRUE(std::filesystem::exists(one + "/grids/checkpoint_00000004.png"));
}

TEST(EvaluateCli, AKilledEvaluationResumesWithTheSameResult) {
  const std::string config = write_eval_config("evaluate_resume");
  const std::string straight = temp_path("evaluate_straight"), resumed = temp_path("evaluate_resumed");
  testing::remove_tree(straight);
  testing::remove_tree(resumed);
  ASSERT_EQ(run_scorch("evaluate --config " + config + " --report " + straight).exit_code, 0);

  // Kill -9 once the first checkpoint's samples are recorded, then run again.
  const std::string marker = resumed + "/units/checkpoint_00000002.samples.json";
  const std::string script = std::string(SCORCH_BINARY) + " evaluate --config " + config + " --report " + resumed +
                             " 2>/dev/null & pid=$!; while [ ! -e " + marker +
                             " ]; do sleep 0.05; done; kill -9 $pid; wait $pid; exit 0";
  ASSERT_EQ(std::system(("bash -c '" + script + "'").c_str()), 0);
  EXPECT_FALSE(std::filesystem::exists(resumed + "/report.json"));
  const CliRun again = run_scorch("evaluate --config " + config + " --report " + resumed);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("finished earlier"), std::string::npos) << again.err;
  expect_same_metrics(read_report(straight), read_report(resumed), 1e-12);

  // Changed settings invalidate the finished units instead of reusing them.
  const CliRun changed = run_scorch("evaluate --config " + config + " --report " + resumed + " --set samples.count=16");
  ASSERT_EQ(changed.exit_code, 0) << changed.err;
  EXPECT_EQ(changed.err.find("finished earlier"), std::string::npos) << changed.err;
}

// Sampling in 12 shards of 8 that is slow enough (PC, 1000 steps) to be cut in
// the middle. A kill lands some time after its marker shard appears (the
// polling, pgrep, mpirun ending the other rank), and a loaded CI machine once
// let the ranks finish 6 shards within that time; 12 leave each rank at least
// five shards (over half a second there) after the marker.
constexpr int kShards = 12;
const std::string kShardedSampling =
    " --set metrics=fid,nll --set samples.count=" + std::to_string(8 * kShards) +
    " --set samples.shard_size=8 --set samples.sampler=pc --set sampler.pc.steps=1000 --set sampler.pc.corrector=none";

// "K of N shards reused from an earlier run", from the first sampling unit's log line.
std::pair<int, int> reused_shards(const std::string& log) {
  const std::size_t at = log.find(" shards reused from an earlier run");
  if (at == std::string::npos) return {-1, -1};
  const std::size_t start = log.rfind(": ", at) + 2;
  int reused = -1, total = -1;
  std::sscanf(log.c_str() + start, "%d of %d", &reused, &total);
  return {reused, total};
}

// Runs `launch` (a scorch evaluate, maybe under mpirun) in the background and
// kills -9 `victim` (a shell expression for a pid, evaluated once the second
// shard of the first checkpoint exists).
void kill_during_sampling(const std::string& launch, const std::string& report, const std::string& victim) {
  const std::string marker = report + "/samples/checkpoint_00000002/shard-000001.h5";
  const std::string script = launch + " 2>/dev/null & pid=$!; while [ ! -e " + marker +
                             " ]; do sleep 0.01; done; kill -9 " + victim + "; wait $pid; exit 0";
  ASSERT_EQ(std::system(("bash -c '" + script + "'").c_str()), 0);
  ASSERT_FALSE(std::filesystem::exists(report + "/units/checkpoint_00000002.samples.json"))
      << "sampling finished before the kill; the test needs slower sampling";
}

// The rerun reused at least `kept` of the first checkpoint's shards, but not
// all, and its report equals the uninterrupted one.
void expect_resumed_from_shards(const CliRun& again, int kept, const std::string& straight, const std::string& resumed) {
  ASSERT_EQ(again.exit_code, 0) << again.err;
  const auto [reused, total] = reused_shards(again.err);
  EXPECT_EQ(total, kShards) << again.err;
  EXPECT_GE(reused, kept) << again.err;
  EXPECT_LT(reused, kShards) << again.err;
  expect_same_metrics(read_report(straight), read_report(resumed), 1e-12);
}

TEST(EvaluateCli, AKillDuringSamplingKeepsTheFinishedShards) {
  const std::string config = write_eval_config("evaluate_shards") + kShardedSampling;
  const std::string straight = temp_path("shards_straight"), resumed = temp_path("shards_resumed");
  testing::remove_tree(straight);
  testing::remove_tree(resumed);
  ASSERT_EQ(run_scorch("evaluate --config " + config + " --report " + straight).exit_code, 0);

  kill_during_sampling(std::string(SCORCH_BINARY) + " evaluate --config " + config + " --report " + resumed, resumed,
                       "$pid");
  expect_resumed_from_shards(run_scorch("evaluate --config " + config + " --report " + resumed), 2, straight, resumed);
}

TEST(EvaluateCli, KillingOneOfTwoRanksKeepsTheFinishedShards) {
  const std::string config = write_eval_config("evaluate_rank_kill") + kShardedSampling;
  const std::string straight = temp_path("rank_kill_straight"), resumed = temp_path("rank_kill_resumed");
  testing::remove_tree(straight);
  testing::remove_tree(resumed);
  const std::string evaluate = "evaluate --config " + config + " --report ";
  ASSERT_EQ(run_scorch(evaluate + straight, mpirun(2)).exit_code, 0);

  // mpirun starts the ranks as its children; one of them dies, and mpirun ends the other.
  kill_during_sampling(mpirun(2) + SCORCH_BINARY + " " + evaluate + resumed, resumed,
                       "$(pgrep -P $pid | head -n 1)");
  expect_resumed_from_shards(run_scorch(evaluate + resumed, mpirun(2)), 1, straight, resumed);
}

TEST(EvaluateCli, WatchFollowsATrainingRunUntilItsFinalCheckpoint) {
  fixture();
  const std::string run = temp_path("watched_run"), report = temp_path("watched_report");
  const std::string out = temp_path("watch_out.txt"), err = temp_path("watch_err.txt");
  testing::remove_tree(run);
  testing::remove_tree(report);
  const std::string watch = std::string(SCORCH_BINARY) + " evaluate --config " + write_eval_config("evaluate_watch") +
                            " --report " + report + " --checkpoints " + run +
                            " --set metrics=nll --watch --watch-interval 0.2 --watch-timeout 300";
  const std::string train = std::string(SCORCH_BINARY) + " train --config " + temp_path("evaluate_train.yaml") +
                            " --workdir " + run + " --set train.steps=6";
  // The watcher starts before the run exists; training starts a moment later.
  const std::string script = watch + " >" + out + " 2>" + err + " & pid=$!; sleep 0.5; " + train +
                             " >/dev/null 2>&1 || exit 3; wait $pid";
  ASSERT_EQ(std::system(("bash -c '" + script + "'").c_str()), 0) << file_text(err);
  const nlohmann::json written = read_report(report);
  ASSERT_EQ(written["checkpoints"].size(), 3u) << file_text(err);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(written["checkpoints"][i]["step"], 2 * (i + 1));
  EXPECT_NE(file_text(err).find("training finished"), std::string::npos) << file_text(err);
  EXPECT_EQ(file_text(run + "/checkpoints/finished"), "checkpoint_00000006.h5\n");

  // Watched again once training has finished, it reuses every unit and ends at once.
  const CliRun again = run_command(watch);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("finished earlier"), std::string::npos) << again.err;
  EXPECT_EQ(nlohmann::json::parse(again.out)["checkpoints"], 3);
}

TEST(EvaluateCli, WatchEndsAtItsTimeoutWhileTrainingGoesOn) {
  const Fixture& f = fixture();
  // A run that has not finished: one of the fixture's checkpoints, without the marker.
  const std::string run = temp_path("unfinished_run");
  testing::remove_tree(run);
  std::filesystem::create_directories(run + "/checkpoints");
  std::filesystem::copy_file(f.run + "/checkpoints/checkpoint_00000002.h5", run + "/checkpoints/checkpoint_00000002.h5");
  const CliRun watched = run_scorch("evaluate --config " + write_eval_config("evaluate_timeout") + " --report " +
                                    temp_path("timeout_report") + " --checkpoints " + run +
                                    " --set metrics=nll --watch --watch-interval 0.2 --watch-timeout 1");
  ASSERT_EQ(watched.exit_code, 0) << watched.err;
  EXPECT_NE(watched.err.find("--watch-timeout 1 s reached before training finished; 1 checkpoint(s) evaluated"),
            std::string::npos)
      << watched.err;
  expect_one_line_error(run_scorch("evaluate --config " + write_eval_config("evaluate_watch_list") +
                                   " --watch --checkpoints " + f.run + "/checkpoints/checkpoint_00000002.h5"),
                        "--watch follows a run directory");
}

TEST(EvaluateCli, BadInputGivesOneLineErrors) {
  const std::string report = " --report " + temp_path("evaluate_bad");
  const std::string npz = std::string(SCORCH_SOURCE_DIR) + "/tests/fixtures/npz/stats.npz";
  const std::string other_shape = write_indexed_dataset("evaluate_rgb.h5", 20, 3, 8);
  expect_one_error_line(
      run_scorch("evaluate --config " + write_eval_config("bad1") + report + " --set features.extractor=/nonexistent.pt"),
      "no such feature extractor");
  expect_one_error_line(
      run_scorch("evaluate --config " + write_eval_config("bad2") + report + " --set metrics=fid --set features.reference=" + npz),
      "feature dimensions differ");
  expect_one_error_line(run_scorch("evaluate --config " + write_eval_config("bad3") + report +
                                   " --set metrics=nll --set likelihood.data=" + other_shape),
                        "the model of");
  expect_one_error_line(run_scorch("evaluate --config " + write_eval_config("bad4") + report + " --set metrics=fid,fvd"),
                        "unknown metric 'fvd'");
  expect_one_error_line(run_scorch("evaluate --config " + write_eval_config("bad6") + report +
                                   " --set metrics=kid --set features.reference=" + npz),
                        "need features.reference to be a dataset file");
  expect_one_error_line(run_scorch("evaluate --config " + write_eval_config("bad7") + report +
                                   " --set samples.quantize=floor"),
                        "samples.quantize");
  expect_one_error_line(run_scorch("evaluate --config " + write_eval_config("bad5") + report + " --checkpoints " +
                                   temp_path("no_such_run")),
                        "no_such_run");

  // A list longer than a path may be (100 checkpoints of a seed sweep) is
  // still read as a list: the error names its first missing file, where the
  // whole list once went to the file system as one name ("File name too long").
  std::string many;
  for (int k = 0; k < 120; ++k) many += (k ? "," : "") + temp_path("no_such_checkpoint_" + std::to_string(k)) + ".h5";
  ASSERT_GT(many.size(), 4096u);
  const CliRun listed = run_scorch("evaluate --config " + write_eval_config("bad8") + report + " --checkpoints " + many);
  expect_one_error_line(listed, "no_such_checkpoint_0.h5");
  EXPECT_EQ(listed.err.find("too long"), std::string::npos) << listed.err;
}

}  // namespace
}  // namespace scorch::testing
