#include "common/random_stream.h"
#include "common/user_error.h"
#include "models/gaussian_noise.h"
#include "models/generalized_normal_noise.h"
#include "models/alpha_stable_noise.h"
#include "models/linear_beta_sde.h"
#include "models/noise_levels.h"
#include "models/ve_sde.h"
#include "test_support.h"
#include "trainer/noise_level_dsm_loss.h"
#include "trainer/sde_dsm_loss.h"

#include <gtest/gtest.h>

#include <memory>

namespace scorch::trainer {
namespace {

using models::ScoreFunction;
using models::Sde;

// Data N(μ, s0² I) in D dimensions has the exact perturbed score
// −(x − a_t μ)/(a_t² s0² + σ_t²), and then E‖σ_t s + z‖² = D a_t² s0²/(a_t² s0² + σ_t²).
constexpr double kMu = 0.4;
constexpr double kS0 = 0.5;
constexpr int64_t kDim = 3;

ScoreFunction exact_sde_score(const Sde& sde) {
  return [&sde](const at::Tensor& x, const at::Tensor& t) {
    const at::Tensor a = sde.mean_coeff(t).unsqueeze(1);
    const at::Tensor var = a.square() * kS0 * kS0 + sde.marginal_variance(t).unsqueeze(1);
    return -(x - a * kMu) / var;
  };
}

at::Tensor expected_residual(const Sde& sde, const at::Tensor& t) {
  const at::Tensor a2s2 = sde.mean_coeff(t).square() * kS0 * kS0;
  return kDim * a2s2 / (a2s2 + sde.marginal_variance(t));
}

at::Tensor gaussian_data(int64_t n) {
  at::Generator generator = make_generator({21, RandomPurpose::test, 0}, 0);
  return kMu + kS0 * at::randn({n, kDim}, generator, at::kDouble);
}

std::vector<std::shared_ptr<Sde>> sdes() {
  return {std::make_shared<models::VeSde>(0.01, 50.0), std::make_shared<models::VpSde>(0.1, 20.0),
          std::make_shared<models::SubVpSde>(0.1, 20.0)};
}

// Closed-form expectation of each variant: (1/(T−ε)) ∫ λ/σ² · E‖σ s + z‖² dt (halved for the ½·sum reduction),
// and for importance sampling with the constant kept, the same number.
TEST(SdeDsmLoss, ExactScoreLossEqualsClosedFormExpectation) {
  const int64_t n = 40000;
  const at::Tensor x0 = gaussian_data(n);
  const double eps = 1e-3;
  for (const auto& sde_ptr : sdes()) {
    const Sde& sde = *sde_ptr;
    const double uniform_original = testing::simpson([&](const at::Tensor& t) { return expected_residual(sde, t); }, eps, 1.0) / (1.0 - eps);
    const double uniform_likelihood =
        testing::simpson(
            [&](const at::Tensor& s) {
              const at::Tensor t = at::exp(s);
              return sde.diffusion_squared(t) / sde.marginal_variance(t) * expected_residual(sde, t) * t;
            },
            std::log(eps), 0.0) /
        (1.0 - eps);
    struct Variant {
      SdeDsmSettings settings;
      double expected;
    };
    const std::vector<Variant> variants = {
        // The sum reduction is score_sde's ½·sum.
        {{Weighting::original, false, false, Reduction::sum, eps}, uniform_original / 2.0},
        {{Weighting::likelihood, false, false, Reduction::sum, eps}, uniform_likelihood / 2.0},
        {{Weighting::likelihood, true, true, Reduction::sum, eps}, uniform_likelihood / 2.0},
        {{Weighting::original, false, false, Reduction::mean, eps}, uniform_original / kDim},
    };
    for (const auto& v : variants) {
      const SdeDsmLoss loss(sde, v.settings);
      const at::Tensor losses = loss.per_example_loss(exact_sde_score(sde), x0, 5, 0, index_range(0, n));
      EXPECT_NEAR(losses.mean().item<double>(), v.expected, 5.0 * testing::standard_error(losses))
          << sde.name() << " weighting " << to_string(v.settings.weighting) << " IS " << v.settings.importance_sampling;
    }
  }
}

// Dropping the IS constant scales the loss by (T − ε)/Z, and IS cuts the
// variance of the likelihood-weighted loss (thesis §9.5.1).
TEST(SdeDsmLoss, ImportanceSamplingConstantAndVarianceReduction) {
  const int64_t n = 20000;
  const at::Tensor x0 = gaussian_data(n);
  const models::VpSde sde(0.1, 20.0);
  const double eps = 1e-5;
  const SdeDsmLoss kept(sde, {Weighting::likelihood, true, true, Reduction::mean, eps});
  const SdeDsmLoss dropped(sde, {Weighting::likelihood, true, false, Reduction::mean, eps});
  const SdeDsmLoss uniform(sde, {Weighting::likelihood, false, false, Reduction::mean, eps});
  const auto score = exact_sde_score(sde);
  const at::Tensor l_kept = kept.per_example_loss(score, x0, 1, 0, index_range(0, n));
  const at::Tensor l_dropped = dropped.per_example_loss(score, x0, 1, 0, index_range(0, n));
  const double Z = static_cast<const LikelihoodImportanceSampler&>(kept.time_sampler()).normalizer();
  EXPECT_TRUE(at::allclose(l_kept, l_dropped * (Z / (1.0 - eps)), 1e-12, 0));
  const at::Tensor l_uniform = uniform.per_example_loss(score, x0, 1, 0, index_range(0, n));
  EXPECT_LT(l_kept.var().item<double>() * 10.0, l_uniform.var().item<double>());
}

TEST(SdeDsmLoss, MatchesDirectComputationOnGivenDraws) {
  const models::VpSde sde(0.1, 20.0);
  const SdeDsmLoss loss(sde, {Weighting::likelihood, false, false, Reduction::mean, 1e-5});
  const at::Tensor x0 = torch::tensor({{0.2, -0.4}, {1.0, 0.5}}, at::kDouble);
  const SdeDsmLoss::Draw draw{at::tensor({0.25, 0.75}, at::kDouble), torch::tensor({{0.3, -1.2}, {0.8, 0.1}}, at::kDouble)};
  const ScoreFunction score = [](const at::Tensor& x, const at::Tensor&) { return -2.0 * x; };
  const at::Tensor got = loss.per_example_loss(score, x0, draw);
  for (int i = 0; i < 2; ++i) {
    const at::Tensor t = draw.t[i];
    const double a = sde.mean_coeff(t).item<double>(), s = sde.marginal_std(t).item<double>();
    const double g2 = sde.diffusion_squared(t).item<double>();
    double total = 0;
    for (int j = 0; j < 2; ++j) {
      const double xt = a * x0[i][j].item<double>() + s * draw.z[i][j].item<double>();
      const double r = s * (-2.0 * xt) + draw.z[i][j].item<double>();
      total += r * r;
    }
    EXPECT_NEAR(got[i].item<double>(), g2 / (s * s) * total / 2.0, 1e-12);
  }
}

TEST(SdeDsmLoss, PerExampleLossDoesNotDependOnBatchComposition) {
  const models::VeSde sde(0.01, 50.0);
  const SdeDsmLoss loss(sde, {Weighting::original, false, false, Reduction::sum, 1e-5});
  const at::Tensor x0 = gaussian_data(6);
  const ScoreFunction score = [](const at::Tensor& x, const at::Tensor&) { return -x; };
  const at::Tensor full = loss.per_example_loss(score, x0, 9, 4, index_range(100, 6));
  const at::Tensor half = loss.per_example_loss(score, x0.slice(0, 3, 6), 9, 4, index_range(103, 3));
  EXPECT_TRUE(at::equal(full.slice(0, 3, 6), half));
}

TEST(SdeDsmLoss, ImportanceSamplingNeedsLikelihoodWeighting) {
  const models::VpSde sde(0.1, 20.0);
  EXPECT_THROW(SdeDsmLoss(sde, {Weighting::original, true, false, Reduction::mean, 1e-5}), UserError);
}

// NCSN: for Gaussian data the exact score at level σ is −(x̃ − μ)/(s0² + σ²) and
// E ½‖σ s + ξ‖² = ½ D s0²/(s0² + σ²), averaged over the uniformly drawn levels.
TEST(NoiseLevelDsmLoss, NcsnExactScoreLossEqualsClosedForm) {
  const at::Tensor levels = models::geometric_noise_levels(2.0, 0.05, 6);
  const NoiseLevelDsmLoss loss(levels, std::make_shared<models::GaussianNoise>());
  const ScoreFunction score = [](const at::Tensor& x, const at::Tensor& sigma) {
    return -(x - kMu) / (kS0 * kS0 + sigma.square().unsqueeze(1));
  };
  const int64_t n = 40000;
  const at::Tensor losses = loss.per_example_loss(score, gaussian_data(n), 2, 0, index_range(0, n));
  const double expected = (0.5 * kDim * kS0 * kS0 / (kS0 * kS0 + levels.square())).mean().item<double>();
  EXPECT_NEAR(losses.mean().item<double>(), expected, 5.0 * testing::standard_error(losses));
}

TEST(NoiseLevelDsmLoss, GeneralizedNormalBetaTwoReproducesNcsnOnIdenticalDraws) {
  const at::Tensor levels = models::geometric_noise_levels(1.0, 0.01, 10);
  const NoiseLevelDsmLoss ncsn(levels, std::make_shared<models::GaussianNoise>());
  const NoiseLevelDsmLoss gn(levels, std::make_shared<models::GeneralizedNormalNoise>(2.0));
  const at::Tensor x0 = gaussian_data(64);
  const auto draw = ncsn.draw(3, 7, index_range(0, 64), x0);
  const ScoreFunction score = [](const at::Tensor& x, const at::Tensor& sigma) { return -x / sigma.unsqueeze(1); };
  const at::Tensor a = ncsn.per_example_loss(score, x0, draw);
  EXPECT_TRUE(at::allclose(a, gn.per_example_loss(score, x0, draw), 1e-12, 1e-12));
  // And NCSN itself is ½‖σ s + ξ‖².
  const at::Tensor sigma = levels.index({draw.level_index}).unsqueeze(1);
  const at::Tensor direct = 0.5 * (sigma * score(x0 + sigma * draw.noise, sigma.squeeze(1)) + draw.noise).square().sum(1);
  EXPECT_TRUE(at::allclose(a, direct, 1e-12, 1e-12));
}

TEST(NoiseLevelDsmLoss, GeneralizedNormalLossMatchesDirectComputation) {
  const double beta = 1.5;
  const at::Tensor levels = at::tensor({0.5}, at::kDouble);
  const NoiseLevelDsmLoss loss(levels, std::make_shared<models::GeneralizedNormalNoise>(beta));
  const at::Tensor x0 = torch::tensor({{0.1, -0.2}}, at::kDouble);
  const NoiseLevelDsmLoss::Draw draw{at::zeros({1}, at::kLong), torch::tensor({{0.7, -1.3}}, at::kDouble)};
  const ScoreFunction score = [](const at::Tensor& x, const at::Tensor&) { return x * 0.0 + 0.25; };
  double expected = 0, notebook = 0;
  const double sigma = 0.5, alpha = std::sqrt(2.0) * sigma;
  for (double xi : {0.7, -1.3}) {
    const double d = sigma * xi;
    const double target = -beta / std::pow(alpha, beta) * (d > 0 ? 1 : -1) * std::pow(std::abs(d), beta - 1);
    expected += 0.5 * sigma * sigma * std::pow(0.25 - target, 2);
    // The heavy-tailed DSM notebook's weighted_mse_loss: the mean over the
    // coordinates of σ (s − target)².
    notebook += sigma * std::pow(0.25 - target, 2) / 2.0;
  }
  EXPECT_NEAR(loss.per_example_loss(score, x0, draw).item<double>(), expected, 1e-12);
  const NoiseLevelDsmLoss sigma_weighted(levels, std::make_shared<models::GeneralizedNormalNoise>(beta), 1.0);
  EXPECT_NEAR(sigma_weighted.per_example_loss(score, x0, draw).item<double>(), notebook, 1e-12);
}

TEST(NoiseLevelDsmLoss, RefusesFamiliesWithoutDensity) {
  EXPECT_THROW(NoiseLevelDsmLoss(models::geometric_noise_levels(1.0, 0.1, 3),
                                 std::make_shared<models::AlphaStableNoise>(1.8, true)),
               UserError);
}

TEST(NoiseLevels, GeometricLadder) {
  const at::Tensor levels = models::geometric_noise_levels(50.0, 0.01, 232);
  EXPECT_NEAR(levels[0].item<double>(), 50.0, 1e-12);
  EXPECT_NEAR(levels[-1].item<double>(), 0.01, 1e-15);
  const at::Tensor ratios = levels.slice(0, 1) / levels.slice(0, 0, -1);
  EXPECT_LT((ratios - ratios[0]).abs().max().item<double>(), 1e-12);
  EXPECT_THROW(models::geometric_noise_levels(0.1, 1.0, 5), UserError);
}

}  // namespace
}  // namespace scorch::trainer
