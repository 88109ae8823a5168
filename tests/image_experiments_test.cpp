// scripts/image-experiments end to end on a tiny labelled 28×28 data set: both
// heavy-tailed image comparisons (GN-DSM β = 1.5 vs 2, DLPM α = 1.8 vs 2)
// train side by side, are evaluated with the settings of their evaluation
// configs, and write their result tables; a wrong experiment name is refused.
#include "cli_support.h"
#include "data_test_support.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

namespace scorch::testing {
namespace {

nlohmann::json report_of(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

TEST(ImageExperiments, ASmokeRunOfBothComparisonsWritesTheirResultTables) {
  const std::string data = temp_path("image_experiments_data");
  const std::string out = temp_path("image_experiments_out");
  remove_tree(data);
  remove_tree(out);
  std::filesystem::create_directories(data);
  write_indexed_dataset("image_experiments_data/train.h5", 64, 1, 28);
  write_indexed_dataset("image_experiments_data/test.h5", 32, 1, 28);
  const CliRun run = run_command("SMOKE=1 OMP_NUM_THREADS=1 DATA=" + data + " OUT=" + out + " SCORCH=" + SCORCH_BINARY +
                                 " " + SCORCH_SOURCE_DIR + "/scripts/image-experiments all");
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;

  const std::string gn = file_text(out + "/gn/results.md");
  for (const char* row : {"| beta-1.5 |", "| beta-2 |"}) EXPECT_NE(gn.find(row), std::string::npos) << row << gn;
  const std::string dlpm = file_text(out + "/dlpm/results.md");
  for (const char* row : {"| dlpm-alpha-1.8 |", "| dlpm-alpha-2 |", "| dlim-alpha-1.8 |", "| dlim-alpha-2 |"}) {
    EXPECT_NE(dlpm.find(row), std::string::npos) << row << dlpm;
  }

  // Each comparison changes one key: the runs' resolved configs say which.
  EXPECT_NE(file_text(out + "/gn/runs/beta-1.5/config.yaml").find("beta: 1.5"), std::string::npos);
  EXPECT_NE(file_text(out + "/dlpm/runs/alpha-1.8/config.yaml").find("alpha: 1.8"), std::string::npos);

  // Both β are sampled by the same Gaussian ALD; DLIM keeps the DLPM authors' clamps.
  for (const char* method : {"gn/beta-1.5", "gn/beta-2"}) {
    const nlohmann::json report = report_of(out + "/" + method + "/report.json");
    const nlohmann::json& checkpoint = report["checkpoints"][0];
    EXPECT_EQ(checkpoint["sampler"]["noise_shape"], "2") << method << checkpoint.dump();
    EXPECT_EQ(checkpoint["sampler"]["epsilon"], "1.2e-05") << method << checkpoint.dump();
    for (const char* metric : {"fid", "kid", "is"}) {
      EXPECT_TRUE(std::isfinite(checkpoint["metrics"][metric].get<double>())) << method << metric;
    }
  }
  const nlohmann::json dlim = report_of(out + "/dlpm/dlim-alpha-2/report.json")["checkpoints"][0];
  EXPECT_EQ(dlim["sampler"]["alpha"], "2") << dlim.dump();
  EXPECT_EQ(dlim["sampler"]["clamp_eps"], "200") << dlim.dump();
  EXPECT_NE(file_text(out + "/dlpm/dlim-alpha-2.evaluate.log").find("sampler dlim"), std::string::npos);
}

TEST(ImageExperiments, AnUnknownExperimentIsRefusedWithItsUsage) {
  const CliRun run = run_command(std::string("SCORCH=") + SCORCH_BINARY + " " + SCORCH_SOURCE_DIR +
                                 "/scripts/image-experiments imagenet");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("usage:"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace scorch::testing
