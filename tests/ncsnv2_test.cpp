#include "common/random_stream.h"
#include "common/user_error.h"
#include "models/gaussian_noise.h"
#include "models/linear_beta_sde.h"
#include "models/ncsnv2.h"
#include "models/network_preconditioning.h"
#include "models/ve_sde.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace scorch::models {
namespace {

// NCSN-style conditioning on σ itself.
Preconditioning on_levels() {
  return ncsnv2_preconditioning(DiffusionProcess(at::tensor({1.0, 0.1}, at::kDouble), std::make_shared<GaussianNoise>()));
}

at::Tensor images(const std::vector<std::int64_t>& shape, std::uint64_t step) {
  at::Generator generator = make_generator({31, RandomPurpose::test, step}, 0);
  return at::rand(shape, generator, at::kDouble);
}

TEST(Ncsnv2, ShapesOn28And32PixelImages) {
  for (const auto& [channels, size] : {std::pair<std::int64_t, std::int64_t>{1, 28}, {3, 32}}) {
    Ncsnv2Model model({channels, size, 8, Activation::elu, false}, on_levels());
    model.to(at::kDouble);
    const at::Tensor x = images({2, channels, size, size}, 0);
    EXPECT_EQ(model.score(x, at::tensor({0.5, 2.0}, at::kDouble)).sizes(), x.sizes());
  }
}

TEST(Ncsnv2, ScoreIsTheUnconditionalOutputDividedBySigma) {
  Ncsnv2Model model({1, 28, 8, Activation::elu, false}, on_levels());
  model.to(at::kDouble);
  const at::Tensor x = images({1, 1, 28, 28}, 1).expand({3, 1, 28, 28});
  const at::Tensor sigma = at::tensor({0.01, 0.5, 20.0}, at::kDouble);
  const at::Tensor score = model.score(x, sigma);
  // Same image at three levels: σ·s(x, σ) is the same network output.
  const at::Tensor scaled = score * sigma.view({3, 1, 1, 1});
  EXPECT_TRUE(at::allclose(scaled[0], scaled[1], 1e-10, 1e-12));
  EXPECT_TRUE(at::allclose(scaled[0], scaled[2], 1e-10, 1e-12));
  // Under the VE SDE the level is σ(t).
  const auto sde = std::make_shared<VeSde>(0.01, 50.0);
  Ncsnv2Model timed({1, 28, 8, Activation::elu, false}, ncsnv2_preconditioning(DiffusionProcess(sde)));
  timed.to(at::kDouble);
  EXPECT_EQ(timed.conditioning(), Conditioning::time);
  EXPECT_THROW(ncsnv2_preconditioning(DiffusionProcess(std::make_shared<VpSde>(0.1, 20.0))), UserError);
}

TEST(Ncsnv2, GradientsReachEveryParameter) {
  Ncsnv2Model model({3, 32, 8, Activation::elu, false}, on_levels());
  model.to(at::kDouble);
  model.score(images({2, 3, 32, 32}, 2), at::tensor({0.3, 3.0}, at::kDouble)).square().sum().backward();
  for (const auto& item : model.named_parameters()) {
    ASSERT_TRUE(item.value().grad().defined()) << item.key();
    EXPECT_GT(item.value().grad().abs().sum().item<double>(), 0.0) << item.key();
  }
  const auto names = model.named_parameters();
  for (const char* name : {"begin_conv.weight", "normalizer.alpha", "res2.0.shortcut.conv.weight",
                           "res3.0.conv1.weight", "refine1.adapt_convs.0.1_1_conv.weight", "refine2.msf.convs.1.bias",
                           "refine4.output_convs.3_2_conv.weight", "refine3.crp.convs.1.weight", "end_conv.bias"}) {
    EXPECT_NE(names.find(name), nullptr) << name;
  }
}

}  // namespace
}  // namespace scorch::models
