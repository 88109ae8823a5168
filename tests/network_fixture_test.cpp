// Our NCSN++/DDPM++ and NCSNv2 against the reference implementations: each
// fixture holds a reference network's weights (under its own parameter names),
// an input batch, the conditioning and the reference output, written by
// scripts/crosscheck/reference_networks.py from score_sde_pytorch and
// ermongroup/ncsnv2. Loading by name also pins our parameter names.
#include "common/config.h"
#include "data/tensor_archive.h"
#include "launch/config_schema.h"
#include "models/gaussian_noise.h"
#include "models/module_state.h"
#include "models/ncsnpp.h"
#include "models/ncsnpp_config.h"
#include "models/ncsnv2.h"
#include "models/network_preconditioning.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <string>

namespace scorch::models {
namespace {

std::string fixture(const std::string& name) {
  return std::string(SCORCH_SOURCE_DIR) + "/tests/fixtures/networks/" + name + ".h5";
}

// The fixture's reference options, read through our own model.ncsnpp.* config keys.
Config config_of(const nlohmann::json& j) {
  Config config = Config::defaults(launch::full_schema());
  config.set("model.ncsnpp.dropout=0");
  for (const auto& [key, value] : j.items()) {
    if (key == "channels" || key == "image_size") continue;
    config.set("model.ncsnpp." + key + "=" + (value.is_string() ? value.get<std::string>() : value.dump()));
  }
  return config;
}

// scale_by_sigma and centered are explicit in every fixture, so the "auto" default never applies.
NcsnppOptions options_of(const nlohmann::json& j) {
  return ncsnpp_options_from(config_of(j), {j.at("channels"), j.at("image_size"), j.at("image_size")}, true);
}

// The reference networks take the label directly: a σ ladder makes our label
// σ = c, and divides by it exactly where the fixture's scale_by_sigma does.
Preconditioning preconditioning_of(const nlohmann::json& j) {
  const DiffusionProcess ladder(at::ones({1}, at::kDouble), std::make_shared<GaussianNoise>());
  return ncsnpp_preconditioning(ladder, ncsnpp_scale_by_sigma(config_of(j), true));
}

// Reference keys that we deliberately do not build: the reference gives every
// residual block a Dense_0 even in unconditional networks, where it is unused.
std::map<std::string, at::Tensor> without_unused_dense(std::map<std::string, at::Tensor> tensors, bool conditional) {
  if (conditional) return tensors;
  for (auto it = tensors.begin(); it != tensors.end();) {
    it = it->first.find(".Dense_0.") != std::string::npos ? tensors.erase(it) : std::next(it);
  }
  return tensors;
}

class NcsnppFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(NcsnppFixture, MatchesTheReferenceOutput) {
  const std::string path = fixture(GetParam());
  const auto j = nlohmann::json::parse(data::read_root_text_attribute(path, "options"));
  const NcsnppOptions options = options_of(j);
  NcsnppModel model(options, preconditioning_of(j));
  model.to(at::kDouble);
  model.eval();
  const auto mismatch =
      copy_parameters(model, without_unused_dense(data::read_tensor_group(path, "parameters"), options.conditional));
  ASSERT_TRUE(mismatch.empty()) << mismatch.describe();
  const at::Tensor label = data::read_tensor(path, "label");
  const at::Tensor expected = data::read_tensor(path, "output");
  torch::NoGradGuard no_grad;
  const at::Tensor actual = model.score(data::read_tensor(path, "input"), label);
  ASSERT_EQ(actual.sizes(), expected.sizes());
  // The reference computes the positional embedding in float32; everything else is float64.
  const double tolerance = options.embedding_type == NcsnppOptions::Embedding::positional ? 1e-5 : 1e-9;
  const double error = ((actual - expected).abs().max() / expected.abs().max()).item<double>();
  EXPECT_LT(error, tolerance);
}

INSTANTIATE_TEST_SUITE_P(ScoreSdeReference, NcsnppFixture,
                         ::testing::Values("ncsnpp_fir", "ddpmpp_residual", "ncsnpp_plain28"));

class Ncsnv2Fixture : public ::testing::TestWithParam<std::string> {};

TEST_P(Ncsnv2Fixture, MatchesTheReferenceOutput) {
  const std::string path = fixture(GetParam());
  const auto j = nlohmann::json::parse(data::read_root_text_attribute(path, "options"));
  const DiffusionProcess ladder(at::ones({1}, at::kDouble), std::make_shared<GaussianNoise>());
  Ncsnv2Model model({j.at("channels"), j.at("image_size"), j.at("nf"), Activation::elu, false},
                    ncsnv2_preconditioning(ladder));
  model.to(at::kDouble);
  const auto mismatch = copy_parameters(model, data::read_tensor_group(path, "parameters"));
  ASSERT_TRUE(mismatch.empty()) << mismatch.describe();
  const at::Tensor expected = data::read_tensor(path, "output");
  torch::NoGradGuard no_grad;
  const at::Tensor actual = model.score(data::read_tensor(path, "input"), data::read_tensor(path, "label"));
  ASSERT_EQ(actual.sizes(), expected.sizes());
  EXPECT_LT(((actual - expected).abs().max() / expected.abs().max()).item<double>(), 1e-9);
}

INSTANTIATE_TEST_SUITE_P(Ncsnv2Reference, Ncsnv2Fixture, ::testing::Values("ncsnv2_32", "ncsnv2_28"));

}  // namespace
}  // namespace scorch::models
