#include "common/config.h"
#include "common/user_error.h"
#include "launch/config_schema.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace scorch {
namespace {

const ConfigSchema& schema() { return launch::full_schema(); }

std::string error_of(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  try {
    Config::load_string(schema(), yaml, overrides, "test.yaml");
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

TEST(Config, DefaultsFillUnsetKeys) {
  const Config config = Config::load_string(schema(), "sde:\n  name: ve\n");
  EXPECT_EQ(config.string("sde.name"), "ve");
  EXPECT_DOUBLE_EQ(config.number("sde.sigma_max"), 50.0);
  EXPECT_TRUE(config.is_explicit("sde.name"));
  EXPECT_FALSE(config.is_explicit("sde.sigma_max"));
}

TEST(Config, OverridesApplyAfterTheFile) {
  const Config config = Config::load_string(schema(), "sde:\n  beta_max: 10\n", {"sde.beta_max=12.5", "seed=7"});
  EXPECT_DOUBLE_EQ(config.number("sde.beta_max"), 12.5);
  EXPECT_EQ(config.integer("seed"), 7);
}

TEST(Config, ABaseFileLoadsFirstAndTheFileOverridesIt) {
  const std::string directory = ::testing::TempDir() + "scorch_config_base_" + std::to_string(::getpid());
  std::filesystem::create_directories(directory + "/variants");
  std::ofstream(directory + "/base.yaml") << "sde: {name: vp, beta_max: 10}\nseed: 3\n";
  std::ofstream(directory + "/variants/child.yaml") << "base: ../base.yaml\nsde: {beta_max: 12}\n";
  std::ofstream(directory + "/variants/grandchild.yaml") << "base: child.yaml\nseed: 5\n";
  const Config config = Config::load_file(schema(), directory + "/variants/grandchild.yaml", {"sde.beta_min=0.2"});
  EXPECT_EQ(config.string("sde.name"), "vp");
  EXPECT_DOUBLE_EQ(config.number("sde.beta_max"), 12.0);
  EXPECT_DOUBLE_EQ(config.number("sde.beta_min"), 0.2);
  EXPECT_EQ(config.integer("seed"), 5);

  std::ofstream(directory + "/loop.yaml") << "base: loop.yaml\n";
  EXPECT_THROW(Config::load_file(schema(), directory + "/loop.yaml"), UserError);
  std::ofstream(directory + "/missing.yaml") << "base: nowhere.yaml\n";
  try {
    Config::load_file(schema(), directory + "/missing.yaml");
    ADD_FAILURE() << "a missing base loaded";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("nowhere.yaml"), std::string::npos) << e.what();
  }
}

TEST(Config, UnknownKeyIsOneLineErrorWithHint) {
  const std::string message = error_of("sde:\n  sigma_mn: 0.1\n");
  EXPECT_NE(message.find("test.yaml:2"), std::string::npos) << message;
  EXPECT_NE(message.find("unknown config key 'sde.sigma_mn'"), std::string::npos) << message;
  EXPECT_NE(message.find("did you mean 'sde.sigma_min'"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos);
}

TEST(Config, UnknownSectionAndOverrideAreErrors) {
  EXPECT_NE(error_of("optimiser:\n  lr: 1\n").find("unknown config key 'optimiser'"), std::string::npos);
  EXPECT_NE(error_of("", {"sde.nme=ve"}).find("--set: unknown config key 'sde.nme'"), std::string::npos);
  EXPECT_NE(error_of("", {"sde.name"}).find("expected key=value"), std::string::npos);
}

TEST(Config, BadValuesAreErrors) {
  EXPECT_NE(error_of("sde:\n  beta_min: abc\n").find("expects a number, got 'abc'"), std::string::npos);
  EXPECT_NE(error_of("sde:\n  name: vv\n").find("expects one of ve, vp, subvp"), std::string::npos);
  EXPECT_NE(error_of("sde:\n  num_scales: 2.5\n").find("expects an integer"), std::string::npos);
  EXPECT_NE(error_of("sde:\n  sigma_min: -1\n").find("must be > 0"), std::string::npos);
  EXPECT_NE(error_of("noise:\n  beta: 0.5\n").find("must be > 0.5"), std::string::npos);
  EXPECT_NE(error_of("noise:\n  isotropic: maybe\n").find("expects true or false"), std::string::npos);
  EXPECT_NE(error_of("sde: 3\n").find("is a section"), std::string::npos);
  EXPECT_NE(error_of("sde:\n  name: [ve]\n").find("got a list"), std::string::npos);
  EXPECT_NE(error_of("sde:\n  name:\n").find("has no value"), std::string::npos);
  EXPECT_NE(error_of("- a\n- b\n").find("must be a YAML mapping"), std::string::npos);
  EXPECT_NE(error_of("sde: {name: ve\n").find("invalid YAML"), std::string::npos);
}

TEST(Config, NumberListsParseNestedRectangularLists) {
  const Config config = Config::load_string(schema(), "model:\n  gmm:\n    means:\n      - [5, 5]\n      - [-5, -5]\n");
  const NumberArray means = config.number_list("model.gmm.means");
  EXPECT_EQ(means.shape, (std::vector<std::int64_t>{2, 2}));
  EXPECT_EQ(means.values, (std::vector<double>{5, 5, -5, -5}));
  EXPECT_NE(config.to_yaml().find("means: [[5, 5], [-5, -5]]"), std::string::npos) << config.to_yaml();
  EXPECT_EQ(Config::load_string(schema(), config.to_yaml()).number_list("model.gmm.means").values, means.values);
  EXPECT_EQ(parse_number_array("3")->shape, std::vector<std::int64_t>{});
  EXPECT_FALSE(parse_number_array("[[1, 2], [3]]"));
  EXPECT_FALSE(parse_number_array("[1, [2]]"));
  EXPECT_FALSE(parse_number_array("[a, 2]"));
  EXPECT_EQ(parse_number_array("[]")->shape, std::vector<std::int64_t>{0});  // the empty list
  EXPECT_TRUE(parse_number_array("[]")->values.empty());
  EXPECT_FALSE(parse_number_array("[[]]"));
  EXPECT_NE(error_of("model:\n  gmm:\n    weights: [1, x]\n").find("rectangular list of numbers"), std::string::npos);
}

TEST(Config, MissingFileIsAnError) {
  EXPECT_THROW(Config::load_file(schema(), "/nonexistent/config.yaml"), UserError);
  // A directory must not silently load as "all defaults".
  EXPECT_THROW(Config::load_file(schema(), std::string(SCORCH_SOURCE_DIR) + "/configs"), UserError);
  EXPECT_NE(error_of("[a, b]: 1\n").find("plain names"), std::string::npos);
}

TEST(Config, ResolvedYamlRoundTrips) {
  const Config config = Config::load_string(schema(), "sde:\n  name: subvp\n  beta_max: 18\nobjective:\n  eps: 0.01\n");
  const Config again = Config::load_string(schema(), config.to_yaml());
  EXPECT_EQ(again.to_yaml(), config.to_yaml());
  EXPECT_EQ(again.string("sde.name"), "subvp");
  EXPECT_DOUBLE_EQ(again.number("sde.beta_max"), 18.0);
  EXPECT_DOUBLE_EQ(again.number("objective.eps"), 0.01);
}

TEST(ConfigSchema, KeysDefineTheRunUnlessDeclaredFreeOnResume) {
  ConfigSchema s;
  s.add({"train.steps", ConfigType::integer, "1"});
  s.add({"ckpt.every", ConfigType::integer, "1"});
  s.add({"ckpt.keep", ConfigType::integer, "1"});
  s.add({"fresh.key", ConfigType::integer, "1"});
  s.allow_change_on_resume({"train.steps", "ckpt."});
  EXPECT_TRUE(s.find("train.steps")->may_change_on_resume);
  EXPECT_TRUE(s.find("ckpt.every")->may_change_on_resume);
  EXPECT_TRUE(s.find("ckpt.keep")->may_change_on_resume);
  EXPECT_FALSE(s.find("fresh.key")->may_change_on_resume);
  EXPECT_THROW(s.allow_change_on_resume({"train.stepz"}), std::logic_error);
  // In the full schema, what a run is made of stays fixed on resume.
  for (const char* path : {"seed", "objective.kind", "sde.name", "model.name", "train.batch_size", "optim.lr",
                           "ema.rate", "data.train", "data.range"}) {
    EXPECT_FALSE(schema().find(path)->may_change_on_resume) << path;
  }
  for (const char* path : {"train.steps", "checkpoint.every", "distributed.device", "data.loader"}) {
    EXPECT_TRUE(schema().find(path)->may_change_on_resume) << path;
  }
}

TEST(Config, EveryShippedConfigLoads) {
  for (const char* name : {"ve", "vp", "subvp"}) {
    const std::string path = std::string(SCORCH_SOURCE_DIR) + "/configs/" + name + ".yaml";
    const Config config = Config::load_file(schema(), path);
    EXPECT_EQ(config.string("sde.name"), name) << path;
  }
}

}  // namespace
}  // namespace scorch
