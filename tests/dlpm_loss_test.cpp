// The DLPM objective (docs/conventions.md §6): the loss against a direct
// computation at α = 2, the exact-noise oracle, the median of means, the
// clamps, and per-example draws.
#include "common/random_stream.h"
#include "common/user_error.h"
#include "models/alpha_stable_noise.h"
#include "trainer/dlpm_loss.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

namespace scorch::trainer {
namespace {

// ᾱ_t of the cosine schedule (offset 0.008), normalised to ᾱ_0 = 1.
double cosine_alpha_bar(std::int64_t t, std::int64_t steps) {
  const auto f = [&](double u) { return std::pow(std::cos((u / steps + 0.008) / 1.008 * M_PI / 2.0), 2); };
  return f(static_cast<double>(t)) / f(0.0);
}

// A fixed smooth "network" of (Y, τ).
at::Tensor pretend_network(const at::Tensor& y, const at::Tensor& tau) {
  return at::sin(y) * tau.to(y.scalar_type()).view({-1, 1}) + 0.3;
}

TEST(DlpmLoss, AlphaTwoNonIsotropicMatchesADirectComputation) {
  DlpmSettings settings;
  settings.chain.alpha = 2.0;
  settings.chain.steps = 100;
  settings.chain.isotropic = false;
  const DlpmLoss loss(settings);
  const at::Tensor x0 = at::randn({4000, 3}, at::kDouble);
  const std::vector<std::int64_t> indices = index_range(0, 4000);
  const DlpmLoss::Draw draw = loss.draw(7, 3, indices, x0);
  const at::Tensor noise = draw.noise[0];
  // At α = 2 the noise is N(0, 2 I), independently per coordinate.
  EXPECT_NEAR(noise.var().item<double>(), 2.0, 0.05);
  EXPECT_NEAR(at::corrcoef(noise.t())[0][1].item<double>(), 0.0, 0.05);
  EXPECT_GE(draw.t.min().item<std::int64_t>(), 1);
  EXPECT_LE(draw.t.max().item<std::int64_t>(), 99);

  const at::Tensor losses = loss.per_example_loss(pretend_network, x0, draw);
  for (std::int64_t i : {0, 1, 2, 1234, 3999}) {
    const std::int64_t t = draw.t[i].item<std::int64_t>();
    const double alpha_bar = cosine_alpha_bar(t, 100);
    const at::Tensor y = std::sqrt(alpha_bar) * x0[i] + std::sqrt(1.0 - alpha_bar) * noise[i];
    const at::Tensor tau = at::full({1}, static_cast<double>(t) / 100.0, at::kDouble);
    const double direct = (pretend_network(y.unsqueeze(0), tau)[0] - noise[i]).norm().item<double>() / std::sqrt(3.0);
    EXPECT_NEAR(losses[i].item<double>(), direct, 1e-12) << "example " << i << " at t = " << t;
  }
}

TEST(DlpmLoss, TheExactNoiseGivesZeroLossForPointMassData) {
  for (bool isotropic : {true, false}) {
    DlpmSettings settings;
    settings.chain.alpha = 1.7;
    settings.chain.steps = 50;
    settings.chain.isotropic = isotropic;
    settings.draws = 3;
    const DlpmLoss loss(settings);
    const at::Tensor x0 = at::tensor({0.5, -1.0}, at::kDouble).expand({64, 2});
    const auto& schedule = loss.schedule();
    const models::ScoreFunction exact = [&](const at::Tensor& y, const at::Tensor& tau) {
      const at::Tensor t = at::round(tau * 50.0).to(at::kLong);
      const at::Tensor gamma = schedule.cumulative_gammas().index({t}).view({-1, 1});
      const at::Tensor sigma = schedule.cumulative_sigmas().index({t}).view({-1, 1});
      return (y - gamma * x0[0]) / sigma;
    };
    const at::Tensor losses = loss.per_example_loss(exact, x0, 1, 0, index_range(0, 64));
    EXPECT_LT(losses.abs().max().item<double>(), 1e-8) << "isotropic " << isotropic;
  }
}

TEST(DlpmLoss, MedianOfMeansKeepsTheMedianDrawPerExample) {
  DlpmSettings settings;
  settings.chain.alpha = 1.5;
  settings.chain.steps = 20;
  settings.draws = 5;
  const DlpmLoss loss(settings);
  const at::Tensor x0 = at::randn({16, 2}, at::kDouble);
  const DlpmLoss::Draw draw = loss.draw(3, 1, index_range(0, 16), x0);
  ASSERT_EQ(draw.noise.sizes(), (std::vector<std::int64_t>{5, 16, 2}));
  const at::Tensor median = loss.per_example_loss(pretend_network, x0, draw);
  std::vector<at::Tensor> single;
  for (std::int64_t m = 0; m < 5; ++m) {
    const DlpmLoss::Draw one{draw.t, draw.noise.slice(0, m, m + 1)};
    DlpmSettings single_settings = settings;
    single_settings.draws = 1;
    single.push_back(DlpmLoss(single_settings).per_example_loss(pretend_network, x0, one));
  }
  const at::Tensor expected = std::get<0>(at::stack(single).median(0));
  EXPECT_TRUE(at::allclose(median, expected, 1e-12, 1e-12));
  // The five draws of an example differ: they are independent.
  EXPECT_GT((draw.noise[0] - draw.noise[1]).abs().min().item<double>(), 0.0);
}

TEST(DlpmLoss, ClampsBoundTheSubordinatorAndTheNoise) {
  const models::AlphaStableNoise clamped(1.5, true, 3.0);
  at::Generator generator = make_generator({1, RandomPurpose::test, 0}, 0);
  const at::Tensor a = clamped.sample_subordinator({20000}, generator);
  EXPECT_DOUBLE_EQ(a.max().item<double>(), 3.0);  // the tail is heavy enough to reach it
  EXPECT_GT(a.min().item<double>(), 0.0);

  DlpmSettings settings;
  settings.chain.alpha = 1.5;
  settings.clamp_eps = 0.7;
  const DlpmLoss loss(settings);
  const at::Tensor x0 = at::zeros({500, 4}, at::kDouble);
  EXPECT_LE(loss.draw(1, 2, index_range(0, 500), x0).noise.abs().max().item<double>(), 0.7);
  settings.clamp_eps = -1.0;
  EXPECT_THROW(DlpmLoss{settings}, UserError);
}

TEST(DlpmLoss, AnExampleDrawsTheSameWhateverItsBatch) {
  DlpmSettings settings;
  settings.chain.alpha = 1.8;
  const DlpmLoss loss(settings);
  const at::Tensor x0 = at::randn({3, 2}, at::kDouble);
  const DlpmLoss::Draw together = loss.draw(5, 9, {10, 11, 12}, x0);
  const DlpmLoss::Draw alone = loss.draw(5, 9, {11}, x0.slice(0, 1, 2));
  EXPECT_EQ(together.t[1].item<std::int64_t>(), alone.t[0].item<std::int64_t>());
  EXPECT_TRUE(at::equal(together.noise.select(1, 1), alone.noise.select(1, 0)));
  EXPECT_FALSE(at::equal(together.noise, loss.draw(5, 10, {10, 11, 12}, x0).noise));
}

}  // namespace
}  // namespace scorch::trainer
