// `scorch train-classifier`, `scorch stats` and `scorch fid` end to end on a
// small labelled dataset, as one process and under mpirun.
#include "cli_support.h"
#include "data_test_support.h"
#include "evaluation/features/feature_statistics.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace scorch::testing {
namespace {

nlohmann::json last_json_line(const std::string& out) {
  const std::size_t start = out.rfind('{');
  return nlohmann::json::parse(out.substr(start));
}

// One trained classifier for every test in this file.
const std::string& quadrant_classifier() {
  static const std::string path = [] {
    const std::string data = write_quadrant_dataset("cli_quadrants.h5", 400);
    const std::string out = temp_path("cli_classifier.h5");
    const CliRun run = run_scorch("train-classifier --data " + data + " --out " + out + " --epochs 4 --batch-size 32",
                                  "OMP_NUM_THREADS=1");
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_GE(last_json_line(run.out)["accuracy"].get<double>(), 0.95) << run.out;
    EXPECT_EQ(last_json_line(run.out)["accuracy_on"], "held-out");
    return out;
  }();
  return path;
}

TEST(FeatureCli, StatisticsAgreeOnOneAndTwoRanksAndFidOfEqualDataIsZero) {
  const std::string data = write_quadrant_dataset("cli_stats_data.h5", 130);
  const std::string one = temp_path("stats_one.h5"), two = temp_path("stats_two.h5");
  const std::string args = "stats --data " + data + " --features " + quadrant_classifier() + " --batch-size 16 --out ";
  const CliRun single = run_scorch(args + one, "OMP_NUM_THREADS=1");
  ASSERT_EQ(single.exit_code, 0) << single.err;
  EXPECT_EQ(last_json_line(single.out)["images"], 130);
  const CliRun pair = run_scorch(args + two, mpirun(2));
  ASSERT_EQ(pair.exit_code, 0) << pair.err;

  const evaluation::FeatureStatistics a = evaluation::read_feature_statistics(one);
  const evaluation::FeatureStatistics b = evaluation::read_feature_statistics(two);
  EXPECT_EQ(a.count, 130);
  EXPECT_TRUE(at::allclose(a.mu, b.mu, 0, 1e-10));
  EXPECT_TRUE(at::allclose(a.sigma, b.sigma, 0, 1e-9));

  const CliRun same = run_scorch("fid " + one + " " + two);
  ASSERT_EQ(same.exit_code, 0) << same.err;
  EXPECT_NEAR(last_json_line(same.out)["fid"].get<double>(), 0.0, 1e-6);
  // A dataset argument is summarised on the fly with --features.
  const CliRun on_the_fly = run_scorch("fid " + one + " " + data + " --features " + quadrant_classifier());
  ASSERT_EQ(on_the_fly.exit_code, 0) << on_the_fly.err;
  EXPECT_NEAR(last_json_line(on_the_fly.out)["fid"].get<double>(), 0.0, 1e-6);
}

TEST(FeatureCli, FidSeparatesRealImagesFromNoise) {
  const std::string real = write_quadrant_dataset("cli_real.h5", 200);
  const std::string other = write_quadrant_dataset("cli_real_other.h5", 120);  // same law, fewer images
  const std::string noise = write_indexed_dataset("cli_noise.h5", 200, 1, 8, false);
  const std::string features = " --features " + quadrant_classifier();
  const double near = last_json_line(run_scorch("fid " + real + " " + other + features).out)["fid"];
  const double far = last_json_line(run_scorch("fid " + real + " " + noise + features).out)["fid"];
  EXPECT_LT(near * 10, far) << near << " vs " << far;
}

TEST(FeatureCli, BadInputGivesOneLineErrors) {
  const std::string data = write_quadrant_dataset("cli_bad.h5", 20);
  const std::string stats = temp_path("cli_bad_stats.h5");
  ASSERT_EQ(run_scorch("stats --data " + data + " --features " + quadrant_classifier() + " --out " + stats).exit_code, 0);
  const std::string npz = std::string(SCORCH_SOURCE_DIR) + "/tests/fixtures/npz/stats.npz";
  expect_one_line_error(run_scorch("fid " + stats + " " + npz), "feature dimensions differ");
  expect_one_line_error(run_scorch("fid " + stats + " " + data), "needs --features");
  expect_one_line_error(run_scorch("stats --data " + data + " --features " + temp_path("none.pt") + " --out " + stats),
                        "no such feature extractor");
  expect_one_line_error(run_scorch("stats --data " + data + " --features " + npz + " --out " + stats),
                        "TorchScript");
  const std::string rgb = write_indexed_dataset("cli_rgb.h5", 20, 3, 8);
  expect_one_line_error(run_scorch("stats --data " + rgb + " --features " + quadrant_classifier() + " --out " + stats),
                        "expects images [B, 1, H, W]");
  expect_one_line_error(run_scorch("train-classifier --data " + write_indexed_dataset("cli_nolabels.h5", 20, 1, 8, false) +
                                   " --out " + temp_path("c.h5")),
                        "needs labels");
}

}  // namespace
}  // namespace scorch::testing
