#include "common/config.h"
#include "common/random_stream.h"
#include "common/user_error.h"
#include "launch/config_schema.h"
#include "models/gaussian_noise.h"
#include "models/linear_beta_sde.h"
#include "models/module_state.h"
#include "models/ncsnpp.h"
#include "models/network_preconditioning.h"
#include "models/score_model_config.h"
#include "models/ve_sde.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

namespace scorch::models {
namespace {

using Options = NcsnppOptions;

// A small network exercising FIR, BigGAN blocks, both pyramids and attention.
Options small_options() {
  Options o;
  o.channels = 2;
  o.image_size = 16;
  o.nf = 16;
  o.ch_mult = {1, 2};
  o.num_res_blocks = 1;
  o.attn_resolutions = {8};
  o.dropout = 0.0;
  o.progressive = Options::Progressive::output_skip;
  o.progressive_input = Options::ProgressiveInput::residual;
  return o;
}

// The DDPM++-style counterpart: DDPM blocks, no FIR, positional embedding,
// residual output pyramid and a concatenating input pyramid.
Options small_ddpm_options() {
  Options o = small_options();
  o.resblock_type = Options::ResblockType::ddpm;
  o.fir = false;
  o.embedding_type = Options::Embedding::positional;
  o.progressive = Options::Progressive::residual;
  o.progressive_input = Options::ProgressiveInput::input_skip;
  o.progressive_combine = CombineImpl::Method::cat;
  o.skip_rescale = false;
  o.centered = true;
  return o;
}

// A noise-level ladder (NCSN-style conditioning on σ itself).
DiffusionProcess ladder() {
  return DiffusionProcess(at::tensor({10.0, 1.0, 0.1}, at::kDouble), std::make_shared<GaussianNoise>());
}

DiffusionProcess on(std::shared_ptr<const Sde> sde) { return DiffusionProcess(std::move(sde)); }

at::Tensor images(std::int64_t batch, const Options& o, std::uint64_t step = 0) {
  at::Generator generator = make_generator({21, RandomPurpose::test, step}, 0);
  return at::rand({batch, o.channels, o.image_size, o.image_size}, generator, at::kDouble);
}

TEST(Ncsnpp, VeParameterisationDividesTheOutputBySigmaT) {
  const auto sde = std::make_shared<VeSde>(0.01, 50.0);
  const Options scaled = small_options();
  NcsnppModel scaled_model(scaled, ncsnpp_preconditioning(on(sde), true));
  NcsnppModel raw_model(scaled, ncsnpp_preconditioning(on(sde), false));
  scaled_model.to(at::kDouble);
  raw_model.to(at::kDouble);
  ASSERT_TRUE(copy_parameters(raw_model, parameter_map(scaled_model)).empty());
  const at::Tensor x = images(3, scaled);
  const at::Tensor t = at::tensor({0.01, 0.4, 1.0}, at::kDouble);
  const at::Tensor sigma = sde->marginal_std(t);
  const at::Tensor out = raw_model.forward(x, sigma);
  EXPECT_TRUE(at::allclose(scaled_model.score(x, t), out / sigma.view({3, 1, 1, 1}), 1e-10, 1e-12));
  EXPECT_TRUE(at::allclose(raw_model.score(x, t), out, 1e-10, 1e-12));
  EXPECT_NE(scaled_model.parameterisation().find("score = out / sigma_t"), std::string::npos);
}

TEST(Ncsnpp, VpAndSubVpParameterisationIsMinusOutputOverSigmaT) {
  for (const std::shared_ptr<const Sde>& sde : {std::shared_ptr<const Sde>(std::make_shared<VpSde>(0.1, 20.0)),
                                               std::shared_ptr<const Sde>(std::make_shared<SubVpSde>(0.1, 20.0))}) {
    NcsnppModel model(small_ddpm_options(), ncsnpp_preconditioning(on(sde), false));
    model.to(at::kDouble);
    const at::Tensor x = images(3, model.options(), 1) * 2.0 - 1.0;
    const at::Tensor t = at::tensor({1e-3, 0.3, 1.0}, at::kDouble);
    const at::Tensor sigma = sde->marginal_std(t);
    const at::Tensor out = model.forward(x, 999.0 * t);
    EXPECT_TRUE(at::allclose(model.score(x, t), -out / sigma.view({3, 1, 1, 1}), 1e-10, 1e-12)) << sde->name();
    EXPECT_NE(model.parameterisation().find("label = 999 t"), std::string::npos);
  }
}

TEST(Ncsnpp, NoiseLevelConditioningTakesSigmaItself) {
  NcsnppModel model(small_options(), ncsnpp_preconditioning(ladder(), true));
  model.to(at::kDouble);
  EXPECT_EQ(model.conditioning(), Conditioning::noise_level);
  const at::Tensor x = images(2, model.options(), 2);
  const at::Tensor sigma = at::tensor({0.1, 5.0}, at::kDouble);
  EXPECT_TRUE(at::allclose(model.score(x, sigma), model.forward(x, sigma) / sigma.view({2, 1, 1, 1}), 1e-12, 1e-12));
}

TEST(Ncsnpp, GradientsReachEveryTrainableParameter) {
  for (const auto& [options, scale_by_sigma] : {std::pair{small_options(), true}, std::pair{small_ddpm_options(), false}}) {
    NcsnppModel model(options, ncsnpp_preconditioning(on(std::make_shared<VeSde>(0.01, 50.0)), scale_by_sigma));
    model.to(at::kDouble);
    const at::Tensor x = images(2, options, 3);
    model.score(x, at::tensor({0.2, 0.9}, at::kDouble)).square().sum().backward();
    std::int64_t trainable = 0;
    for (const auto& item : model.named_parameters()) {
      if (!item.value().requires_grad()) continue;
      ++trainable;
      ASSERT_TRUE(item.value().grad().defined()) << item.key();
      EXPECT_GT(item.value().grad().abs().sum().item<double>(), 0.0) << item.key();
    }
    EXPECT_GT(trainable, 50);
  }
}

TEST(Ncsnpp, FourierFrequenciesAreAFrozenParameterLikeTheReference) {
  NcsnppModel model(small_options(), ncsnpp_preconditioning(ladder(), true));
  const auto parameters = model.named_parameters();
  const auto* frequencies = parameters.find("all_modules.0.W");
  ASSERT_NE(frequencies, nullptr);
  EXPECT_FALSE(frequencies->requires_grad());
  EXPECT_EQ(frequencies->numel(), 16);
  EXPECT_NE(parameters.find("all_modules.3.weight"), nullptr);  // the input convolution
  EXPECT_NE(parameters.find("all_modules.4.GroupNorm_0.weight"), nullptr);
  EXPECT_NE(parameters.find("all_modules.4.Dense_0.bias"), nullptr);
}

TEST(Ncsnpp, BadOptionsAreUserErrors) {
  Options odd = small_options();
  odd.image_size = 18;
  odd.ch_mult = {1, 2, 2};  // 18 is not divisible by 4
  EXPECT_THROW(NcsnppModel(odd, ncsnpp_preconditioning(ladder(), true)), UserError);
  // scale_by_sigma on VP: −out/σ_t already scales the output.
  EXPECT_THROW(ncsnpp_preconditioning(on(std::make_shared<VpSde>(0.1, 20.0)), true), UserError);
  Options bad_groups = small_options();
  bad_groups.nf = 50;  // GroupNorm would need 12 groups of 50 / 12 channels
  EXPECT_THROW(NcsnppModel(bad_groups, ncsnpp_preconditioning(ladder(), true)), UserError);
}

}  // namespace
}  // namespace scorch::models
