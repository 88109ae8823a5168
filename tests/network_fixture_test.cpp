// Our NCSN++/DDPM++ and NCSNv2 against the reference implementations: each
// fixture holds a reference network's weights (under its own parameter names),
// an input batch, the conditioning and the reference output, written by
// scripts/crosscheck/reference_networks.py from score_sde_pytorch and
// ermongroup/ncsnv2. Loading by name also pins our parameter names.
#include "data/tensor_archive.h"
#include "models/module_state.h"
#include "models/ncsnpp.h"
#include "models/ncsnv2.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <string>

namespace scorch::models {
namespace {

std::string fixture(const std::string& name) {
  return std::string(SCORCH_SOURCE_DIR) + "/tests/fixtures/networks/" + name + ".h5";
}

NcsnppOptions ncsnpp_options_from(const nlohmann::json& j) {
  using O = NcsnppOptions;
  O o;
  o.channels = j.at("channels");
  o.image_size = j.at("image_size");
  o.nf = j.at("nf");
  o.ch_mult = j.at("ch_mult").get<std::vector<std::int64_t>>();
  o.num_res_blocks = j.at("num_res_blocks");
  o.attn_resolutions = j.at("attn_resolutions").get<std::vector<std::int64_t>>();
  o.dropout = 0.0;
  o.resblock_type = j.at("resblock_type") == "ddpm" ? O::ResblockType::ddpm : O::ResblockType::biggan;
  o.skip_rescale = j.at("skip_rescale");
  o.fir = j.at("fir");
  const std::string progressive = j.at("progressive"), progressive_input = j.at("progressive_input");
  o.progressive = progressive == "output_skip" ? O::Progressive::output_skip
                  : progressive == "residual"  ? O::Progressive::residual
                                               : O::Progressive::none;
  o.progressive_input = progressive_input == "input_skip" ? O::ProgressiveInput::input_skip
                        : progressive_input == "residual" ? O::ProgressiveInput::residual
                                                          : O::ProgressiveInput::none;
  o.progressive_combine = j.value("progressive_combine", "sum") == "cat" ? CombineImpl::Method::cat : CombineImpl::Method::sum;
  o.embedding_type = j.at("embedding_type") == "positional" ? O::Embedding::positional : O::Embedding::fourier;
  o.conditional = j.at("conditional");
  o.scale_by_sigma = j.at("scale_by_sigma");
  o.centered = j.at("centered");
  return o;
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
  const NcsnppOptions options = ncsnpp_options_from(nlohmann::json::parse(data::read_root_text_attribute(path, "options")));
  NcsnppModel model(options, nullptr);
  model.to(at::kDouble);
  model.eval();
  const auto mismatch =
      copy_parameters(model, without_unused_dense(data::read_tensor_group(path, "parameters"), options.conditional));
  ASSERT_TRUE(mismatch.empty()) << mismatch.describe();
  const at::Tensor label = data::read_tensor(path, "label");
  const at::Tensor expected = data::read_tensor(path, "output");
  torch::NoGradGuard no_grad;
  const at::Tensor actual = model.network_output(data::read_tensor(path, "input"), label, label);
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
  Ncsnv2Model model({j.at("channels"), j.at("image_size"), j.at("nf"), Activation::elu, false}, nullptr);
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
