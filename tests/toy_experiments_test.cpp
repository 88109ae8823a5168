// The heavy-tailed 2-D experiments end to end: a short seed of the papers'
// comparisons (two-modes and grid on the authors' protocols and on our earlier
// readings, cloud) through scripts/toy-experiments, the DLPM sampler on a trained
// toy model over ten seeds, and one-line errors for toy misuse.
#include "cli_support.h"
#include "data/tensor_archive.h"
#include "data_test_support.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace scorch::testing {
namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(ToyExperiments, ASmokeSeedOfEveryComparisonWritesItsResultTable) {
  const std::string out = temp_path("toy_experiments");
  remove_tree(out);
  const CliRun run = run_command("SMOKE=1 SEEDS=1 OMP_NUM_THREADS=1 OUT=" + out + " SCORCH=" + SCORCH_BINARY + " " +
                                 SCORCH_SOURCE_DIR + "/scripts/toy-experiments all");
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  const std::string two_modes = read_text(out + "/two-modes/results.md");
  for (const char* method : {"| dsm-gaussian-diffusion |", "| dsm-laplace-diffusion |", "| htdsm-gaussian-diffusion |",
                             "| htdsm-laplace-diffusion |"}) {
    EXPECT_NE(two_modes.find(method), std::string::npos) << method << "\n" << two_modes;
  }
  EXPECT_NE(two_modes.find("| majority share |"), std::string::npos) << two_modes;
  // The two Langevin noises sample the same trained models: one run per seed and training noise.
  EXPECT_TRUE(std::filesystem::exists(out + "/two-modes/dsm-runs/seed-1"));
  EXPECT_FALSE(std::filesystem::exists(out + "/two-modes/dsm-gaussian-diffusion/seed-1"));
  const std::string earlier = read_text(out + "/two-modes-ncsn/results.md");
  for (const char* method : {"| gaussian |", "| gn-beta-1.5 |", "| gn-beta-1 |"}) {
    EXPECT_NE(earlier.find(method), std::string::npos) << method << "\n" << earlier;
  }
  for (const char* experiment : {"grid", "grid-plain-mlp"}) {
    const std::string grid = read_text(out + "/" + experiment + "/results.md");
    for (const char* method : {"| dlpm-alpha-1.7 |", "| dlpm-alpha-1.8 |", "| dlpm-alpha-1.9 |", "| dlpm-alpha-2.0 |"}) {
      EXPECT_NE(grid.find(method), std::string::npos) << experiment << method << "\n" << grid;
    }
    EXPECT_NE(grid.find("| PRD F1 |"), std::string::npos) << experiment << grid;
  }
  const std::string cloud = read_text(out + "/cloud/results.md");
  EXPECT_NE(cloud.find("| dlpm-alpha-2.0 |"), std::string::npos) << cloud;
  EXPECT_NE(cloud.find("| tail MSLE |"), std::string::npos) << cloud;

  std::ifstream in(out + "/grid/dlpm-alpha-1.7/report.json");
  const nlohmann::json report = nlohmann::json::parse(in);
  const nlohmann::json& metrics = report["checkpoints"][0]["metrics"];
  double total = 0.0;
  for (const auto& share : metrics["mode_shares"]) total += share.get<double>();
  EXPECT_EQ(metrics["mode_shares"].size(), 9u);
  EXPECT_NEAR(total, 1.0, 1e-12);
  for (const char* name : {"prd_precision", "prd_recall", "prd_f1"}) {
    EXPECT_GE(metrics[name].get<double>(), 0.0) << name;
    EXPECT_LE(metrics[name].get<double>(), 1.0) << name;
  }
  EXPECT_EQ(report["summary"]["prd_f1"]["n"], 1);
}

TEST(ToyExperiments, TheDlpmSamplerOnATrainedToyModelStaysFiniteOverTenSeeds) {
  const std::string workdir = temp_path("dlpm_toy_run");
  remove_tree(workdir);
  const CliRun train = run_scorch("train --config " + config_path("dlpm_grid") + " --workdir " + workdir +
                                      " --set noise.alpha=1.7 --set train.steps=150 --set train.batch_size=256"
                                      " --set checkpoint.every=150",
                                  "OMP_NUM_THREADS=2");
  ASSERT_EQ(train.exit_code, 0) << train.err;
  for (int seed = 1; seed <= 10; ++seed) {
    for (const char* sampler : {"dlpm", "dlim"}) {
      if (std::string(sampler) == "dlim" && seed > 1) continue;
      const std::string out = temp_path("dlpm_toy_samples.h5");
      const CliRun sample = run_scorch("sample --checkpoint " + workdir + " --sampler " + std::string(sampler) +
                                       " -n 1000 --seed " + std::to_string(seed) + " --out " + out +
                                       " --set sampler.batch_size=1000 --set sampler.dlpm.clamp_a=20");
      ASSERT_EQ(sample.exit_code, 0) << sample.err;
      const at::Tensor samples = data::read_tensor(out, "samples");
      ASSERT_EQ(samples.sizes(), (std::vector<std::int64_t>{1000, 2}));
      EXPECT_TRUE(at::isfinite(samples).all().item<bool>()) << sampler << " seed " << seed;
    }
  }
  // An SDE sampler refuses the DLPM model by naming the ones that suit it.
  expect_one_line_error(run_scorch("sample --checkpoint " + workdir + " --sampler pc -n 4 --out " +
                                   temp_path("refused.h5")),
                        "use --sampler dlpm or dlim");
}

TEST(ToyExperiments, ToyMisuseIsOneLineError) {
  expect_one_line_error(run_scorch("train --config " + config_path("dlpm_grid") + " --workdir " +
                                   temp_path("toy_misuse") + " --set data.train=x.h5"),
                        "data.train or data.synthetic");
  expect_one_line_error(run_scorch("train --config " + config_path("dlpm_grid") + " --workdir " +
                                   temp_path("toy_misuse") + " --set noise.family=gaussian"),
                        "noise.family = alpha_stable");
}

}  // namespace
}  // namespace scorch::testing
