// End-to-end tests of the scorch binary: exit codes, error lines and JSON output.
#include "cli_support.h"
#include "data_test_support.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <fstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using scorch::testing::CliRun;
using scorch::testing::config_path;
using scorch::testing::line_count;
using scorch::testing::run_scorch;

TEST(Cli, ScheduleJsonHasTheDocumentedFields) {
  for (const std::string name : {"ve", "vp", "subvp"}) {
    const CliRun run = run_scorch("schedule --config " + config_path(name) + " --t 0.001,0.5,1 --quantiles 0.1,0.5,0.9 --json");
    ASSERT_EQ(run.exit_code, 0) << run.err;
    const auto report = nlohmann::json::parse(run.out);
    EXPECT_EQ(report["sde"], name);
    EXPECT_DOUBLE_EQ(report["eps"].get<double>(), 1e-5);
    EXPECT_DOUBLE_EQ(report["T"].get<double>(), 1.0);
    EXPECT_GT(report["is_normalizer"].get<double>(), 0.0);
    ASSERT_EQ(report["points"].size(), 3u);
    for (const char* field : {"t", "mean_coeff", "std", "g2", "weight_original", "weight_likelihood", "proposal_density"}) {
      EXPECT_TRUE(report["points"][0].contains(field)) << field;
    }
    // weight_original = std², weight_likelihood = g², proposal = g²/(std² Z).
    const auto& p = report["points"][1];
    const double std = p["std"].get<double>();
    EXPECT_NEAR(p["weight_original"].get<double>(), std * std, 1e-12 * std * std);
    EXPECT_DOUBLE_EQ(p["weight_likelihood"].get<double>(), p["g2"].get<double>());
    EXPECT_NEAR(p["proposal_density"].get<double>(),
                p["g2"].get<double>() / (std * std) / report["is_normalizer"].get<double>(), 1e-12);
    ASSERT_EQ(report["quantiles"].size(), 3u);
    EXPECT_DOUBLE_EQ(report["quantiles"][1]["u"].get<double>(), 0.5);
    const double t_median = report["quantiles"][1]["t"].get<double>();
    EXPECT_GT(t_median, 1e-5);
    EXPECT_LT(t_median, 1.0);
  }
}

TEST(Cli, ScheduleTableAndOverrides) {
  const CliRun run = run_scorch("schedule --config " + config_path("vp") + " --set objective.eps=0.01");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("SDE vp  eps 0.01"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("importance-sampling quantiles"), std::string::npos);
}

TEST(Cli, BadInputIsOneErrorLineAndNonZeroExit) {
  const std::string bad_value_path = ::testing::TempDir() + "scorch_bad_value.yaml";
  std::ofstream(bad_value_path) << "sde:\n  name: vp\n  beta_max: twenty\n";
  const std::vector<std::string> cases = {
      "schedule --config /nonexistent.yaml",
      "schedule --config " + bad_value_path,
      "schedule --config " + config_path("vp") + " --set sde.bta_max=3",
      "schedule --config " + config_path("vp") + " --t 0.5,abc",
      "schedule --config " + config_path("vp") + " --t 2",
      "schedule --config " + config_path("vp") + " --set objective.eps=2",
      "config --set noise.beta=0.4",
  };
  for (const auto& args : cases) {
    const CliRun run = run_scorch(args);
    EXPECT_EQ(run.exit_code, 1) << args << "\n" << run.err;
    EXPECT_EQ(line_count(run.err), 1) << args << "\n" << run.err;
    EXPECT_NE(run.err.find("error: "), std::string::npos) << run.err;
  }
  EXPECT_NE(run_scorch("schedule --config " + bad_value_path).err.find("beta_max"), std::string::npos);
}

TEST(Cli, ModelInfoReportsParametersAndParameterisation) {
  const CliRun run = run_scorch("model info --config " + config_path("vp") + " --set 'model.mlp.hidden=[32, 16]' --json");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto report = nlohmann::json::parse(run.out);
  EXPECT_EQ(report["name"], "mlp");
  EXPECT_EQ(report["parameters"], (3 * 32 + 32) + (32 * 16 + 16) + (16 * 2 + 2));
  EXPECT_EQ(report["input_shape"], nlohmann::json({2}));
  EXPECT_EQ(report["conditioning"], "time");
  EXPECT_NE(report["parameterisation"].get<std::string>().find("sigma_t"), std::string::npos);
  const CliRun bad = run_scorch("model info --config " + config_path("vp") + " --set model.name=analytic_gmm --set 'model.input_shape=[3]'");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(line_count(bad.err), 1) << bad.err;
}

// The counts of sum(p.numel() for p in model.parameters()) for the reference
// implementations with the same configurations (score_sde_pytorch configs/vp|ve/
// cifar10_*_continuous.py, printed by scripts/crosscheck/reference_networks.py count).
TEST(Cli, ModelInfoMatchesTheReferenceParameterCounts) {
  const std::vector<std::pair<std::string, std::int64_t>> references = {
      {"cifar10_ddpmpp_continuous_vp", 61804419},
      {"cifar10_ddpmpp_deep_continuous_vp", 106632579},
      {"cifar10_ncsnpp_continuous_ve", 62758915},
      {"cifar10_ncsnpp_deep_continuous_ve", 107587075}};
  for (const auto& [name, parameters] : references) {
    const CliRun run = run_scorch("model info --json --config " + config_path(name));
    ASSERT_EQ(run.exit_code, 0) << run.err;
    const auto report = nlohmann::json::parse(run.out);
    EXPECT_EQ(report["parameters"], parameters) << name;
    EXPECT_EQ(report["name"], "ncsnpp");
    EXPECT_EQ(report["input_shape"], nlohmann::json({3, 32, 32}));
  }
  // NCSNv2 with the ermongroup/ncsnv2 CIFAR-10 width (ngf 128).
  const CliRun ncsnv2 = run_scorch("model info --json --config " + config_path("ncsnv2_small_28x28x1") +
                                   " --set 'model.input_shape=[3, 32, 32]' --set model.ncsnv2.nf=128");
  ASSERT_EQ(ncsnv2.exit_code, 0) << ncsnv2.err;
  EXPECT_EQ(nlohmann::json::parse(ncsnv2.out)["parameters"], 29694083);
}

TEST(Cli, NetworkConfigErrorsAreOneLine) {
  for (const char* set : {"--set 'model.input_shape=[3, 30, 30]'", "--set model.ncsnpp.nf=50",
                                 "--set model.ncsnpp.scale_by_sigma=true", "--set 'model.ncsnpp.ch_mult=[1, 0]'",
                                 "--set 'model.input_shape=[3, 32, 16]'"}) {
    const CliRun run = run_scorch("model info --config " + config_path("unet_small_32x32x3") + " " + std::string(set));
    EXPECT_EQ(run.exit_code, 1) << set;
    EXPECT_EQ(line_count(run.err), 1) << set << ": " << run.err;
  }
}

TEST(Cli, UnknownSubcommandOrOptionFails) {
  EXPECT_NE(run_scorch("frobnicate").exit_code, 0);
  EXPECT_NE(run_scorch("schedule --config " + config_path("vp") + " --bogus").exit_code, 0);
  EXPECT_NE(run_scorch("").exit_code, 0);
}

TEST(Cli, ConfigDumpsTheResolvedConfig) {
  const CliRun run = run_scorch("config --config " + config_path("subvp") + " --set sde.beta_max=15");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("name: subvp"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("beta_max: 15"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("sigma_max: 50"), std::string::npos) << run.out;  // defaults are filled in
  const CliRun keys = run_scorch("config --keys");
  ASSERT_EQ(keys.exit_code, 0);
  EXPECT_NE(keys.out.find("objective.time_sampling"), std::string::npos);
}

TEST(Cli, DataConvertAndInfoOnFashionMnist) {
  if (std::ifstream("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz").fail()) {
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  }
  const std::string out = ::testing::TempDir() + "scorch_cli_fmnist_" + std::to_string(getpid());
  const CliRun convert =
      run_scorch("data convert --format fashion-mnist --input /usr/share/datasets/fashion-mnist --output " + out);
  ASSERT_EQ(convert.exit_code, 0) << convert.err;
  EXPECT_NE(convert.err.find("convert train: 60000/60000 images"), std::string::npos) << convert.err;
  for (const auto& [split, count] : std::vector<std::pair<std::string, int>>{{"train", 60000}, {"test", 10000}}) {
    const CliRun info = run_scorch("data info --json " + out + "/" + split + ".h5");
    ASSERT_EQ(info.exit_code, 0) << info.err;
    const auto report = nlohmann::json::parse(info.out);
    EXPECT_EQ(report["count"], count);
    EXPECT_EQ(report["shape"], nlohmann::json({1, 28, 28}));
    EXPECT_EQ(report["split"], split);
    EXPECT_EQ(report["valid"], true);
    EXPECT_EQ(report["label_histogram"]["9"], count / 10);
  }
  scorch::testing::remove_tree(out);
}

// A writer's lock blocks readers unless HDF5_USE_FILE_LOCKING=FALSE, which scorch must honour.
TEST(Cli, DataInfoRespectsHdf5FileLocking) {
  const std::string path = scorch::testing::write_indexed_dataset("locked.h5", 10);
  scorch::data::Hdf5Lock lock;
  scorch::data::Hdf5Id writer(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT));
  ASSERT_TRUE(writer.valid());
  const CliRun blocked = run_scorch("data info " + path, "env -u HDF5_USE_FILE_LOCKING");
  EXPECT_EQ(blocked.exit_code, 1) << blocked.err;
  EXPECT_NE(blocked.err.find("HDF5_USE_FILE_LOCKING"), std::string::npos) << blocked.err;
  EXPECT_EQ(line_count(blocked.err), 1) << blocked.err;
  const CliRun unlocked = run_scorch("data info " + path, "HDF5_USE_FILE_LOCKING=FALSE");
  EXPECT_EQ(unlocked.exit_code, 0) << unlocked.err;
}

TEST(Cli, DataInfoOnBadFileFailsWithOneLine) {
  const CliRun missing = run_scorch("data info /nonexistent/file.h5");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(line_count(missing.err), 1) << missing.err;
  EXPECT_NE(missing.err.find("/nonexistent/file.h5: no such file"), std::string::npos) << missing.err;
  EXPECT_NE(run_scorch("data convert --format bogus --input x --output y").exit_code, 0);
}

}  // namespace
