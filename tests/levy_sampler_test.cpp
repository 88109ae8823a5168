#include "common/random_stream.h"
#include "common/user_error.h"
#include "evaluation/sampling/levy_sampler.h"
#include "models/alpha_stable_schedule.h"
#include "test_support.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

namespace scorch::evaluation {
namespace {

using models::AlphaStableSchedule;

std::int64_t index_of(double tau, std::int64_t steps) { return std::llround(tau * static_cast<double>(steps)); }

// ε̂ for point-mass data at x0: the noise that explains Y exactly, (Y − γ_{1→t} x0)/σ_{1→t}.
NoisePredictor point_mass_noise(const AlphaStableSchedule& schedule, const at::Tensor& x0) {
  return [&schedule, x0](const at::Tensor& y, const at::Tensor& tau) {
    const std::int64_t t = index_of(tau[0].item<double>(), schedule.steps());
    return (y - schedule.cumulative_gamma(t) * x0) / schedule.cumulative_sigma(t);
  };
}

// For α = 2 the noise is N(0, 2) and, for data N(μ, s²), E[ε | Y] is linear:
// 2σ̄ (Y − γ̄ μ) / (γ̄² s² + 2σ̄²).
NoisePredictor gaussian_data_noise(const AlphaStableSchedule& schedule, double mean, double variance) {
  return [&schedule, mean, variance](const at::Tensor& y, const at::Tensor& tau) {
    const std::int64_t t = index_of(tau[0].item<double>(), schedule.steps());
    const double g = schedule.cumulative_gamma(t), s = schedule.cumulative_sigma(t);
    return 2.0 * s * (y - g * mean) / (g * g * variance + 2.0 * s * s);
  };
}

TEST(AlphaStableSchedule, StartsCleanAndPreservesScale) {
  for (double alpha : {1.5, 1.8, 2.0}) {
    const AlphaStableSchedule schedule(alpha, 100);
    EXPECT_DOUBLE_EQ(schedule.gamma(0), 1.0);
    EXPECT_DOUBLE_EQ(schedule.sigma(0), 0.0);
    EXPECT_DOUBLE_EQ(schedule.cumulative_sigma(0), 0.0);
    const at::Tensor per_step = at::pow(schedule.gammas(), alpha) + at::pow(schedule.sigmas(), alpha);
    EXPECT_TRUE(at::allclose(per_step, at::ones_like(per_step), 1e-12, 1e-12)) << alpha;
    // The slides' eq. 8: σ_{1→t}^α = Σ_k (γ_{1→t}/γ_{1→k} σ_k)^α, summed directly.
    for (std::int64_t t : {1, 10, 50, 99}) {
      double sum = 0.0;
      for (std::int64_t k = 1; k <= t; ++k) {
        sum += std::pow(schedule.cumulative_gamma(t) / schedule.cumulative_gamma(k) * schedule.sigma(k), alpha);
      }
      EXPECT_NEAR(std::pow(sum, 1.0 / alpha), schedule.cumulative_sigma(t), 1e-12) << alpha << " t=" << t;
    }
    EXPECT_LT(schedule.cumulative_gamma(99), 0.05);
  }
}

TEST(AlphaStableSchedule, AlphaTwoIsTheCosineDdpmSchedule) {
  const AlphaStableSchedule schedule(2.0, 1000);
  const auto alpha_bar = [](double t) { return std::pow(std::cos((t / 1000.0 + 0.008) / 1.008 * M_PI / 2.0), 2); };
  for (std::int64_t t : {1, 500, 999}) {
    EXPECT_NEAR(std::pow(schedule.cumulative_gamma(t), 2), alpha_bar(t) / alpha_bar(0), 1e-12) << t;
  }
  EXPECT_THROW(AlphaStableSchedule(2.5, 10), UserError);
  EXPECT_THROW(AlphaStableSchedule(1.8, 1), UserError);
}

TEST(LevySampler, ExactNoiseForPointMassReturnsThePoint) {
  const at::Tensor x0 = torch::tensor({0.7, -1.3, 2.0}, at::kDouble).reshape({1, 3});
  for (double alpha : {1.7, 2.0}) {
    for (LevyReverse process : {LevyReverse::dlpm, LevyReverse::dlim}) {
      for (bool isotropic : {true, false}) {
        LevySamplerSettings settings;
        settings.clamp_a = 0.0;  // unclamped
        settings.process = process;
        settings.chain.alpha = alpha;
        settings.chain.steps = 200;
        settings.chain.isotropic = isotropic;
        const AlphaStableSchedule schedule(alpha, settings.chain.steps);
        const at::Tensor samples =
            levy_sample(point_mass_noise(schedule, x0), settings, {3}, 5, index_range(0, 16), at::kDouble);
        EXPECT_TRUE(at::isfinite(samples).all().item<bool>());
        EXPECT_LT((samples - x0).abs().max().item<double>(), 1e-8)
            << "alpha " << alpha << (process == LevyReverse::dlpm ? " dlpm" : " dlim") << " isotropic " << isotropic;
      }
    }
  }
}

TEST(LevySampler, ImplicitPathStaysOnTheNoisingPathOfItsStartingNoise) {
  // DLIM with the exact ε̂ keeps ε fixed: Z_{t−1} = γ_{1→t−1} x0 + σ_{1→t−1} ε. A
  // predictor that records Z_t at each call checks every intermediate state.
  const at::Tensor x0 = torch::tensor({1.5, -0.5}, at::kDouble).reshape({1, 2});
  LevySamplerSettings settings;
  settings.clamp_a = 0.0;  // unclamped
  settings.process = LevyReverse::dlim;
  settings.chain.alpha = 1.7;
  settings.chain.steps = 50;
  const AlphaStableSchedule schedule(settings.chain.alpha, settings.chain.steps);
  at::Tensor first_noise;
  double worst = 0.0;
  const NoisePredictor recording = [&](const at::Tensor& y, const at::Tensor& tau) {
    const std::int64_t t = index_of(tau[0].item<double>(), schedule.steps());
    const at::Tensor eps = (y - schedule.cumulative_gamma(t) * x0) / schedule.cumulative_sigma(t);
    if (!first_noise.defined()) first_noise = eps;
    worst = std::max(worst, (eps - first_noise).abs().max().item<double>());
    return eps;
  };
  levy_sample(recording, settings, {2}, 3, index_range(0, 8), at::kDouble);
  EXPECT_LT(worst, 1e-9);
}

TEST(LevySampler, AlphaTwoReproducesGaussianData) {
  // At α = 2 DLPM is DDPM with noise N(0, 2); with the exact ε̂ both reverse
  // processes recover N(μ, s²) up to Monte-Carlo and discretisation error.
  const double mean = 1.0, variance = 0.25;
  const std::int64_t n = 4000;
  for (LevyReverse process : {LevyReverse::dlpm, LevyReverse::dlim}) {
    LevySamplerSettings settings;
    settings.clamp_a = 0.0;  // unclamped
    settings.process = process;
    settings.chain.alpha = 2.0;
    settings.chain.steps = process == LevyReverse::dlpm ? 1000 : 100;
    const AlphaStableSchedule schedule(2.0, settings.chain.steps);
    const at::Tensor samples =
        levy_sample(gaussian_data_noise(schedule, mean, variance), settings, {1}, 11, index_range(0, n), at::kDouble);
    testing::expect_gaussian_moments(samples, torch::tensor({mean}, at::kDouble),
                                     torch::tensor({{variance}}, at::kDouble), 4.0,
                                     process == LevyReverse::dlpm ? "dlpm" : "dlim");
  }
}

TEST(LevySampler, SamplesDoNotDependOnBatching) {
  LevySamplerSettings settings;
  settings.chain.alpha = 1.8;
  settings.chain.steps = 30;
  settings.chain.isotropic = false;
  settings.clamp_a = 20.0;
  const AlphaStableSchedule schedule(settings.chain.alpha, settings.chain.steps);
  const NoisePredictor shrink = [](const at::Tensor& y, const at::Tensor&) { return 0.1 * y; };
  const at::Tensor together = levy_sample(shrink, settings, {2, 2}, 7, {4, 5, 6}, at::kDouble);
  const at::Tensor alone = levy_sample(shrink, settings, {2, 2}, 7, {5}, at::kDouble);
  EXPECT_TRUE(at::equal(together[1], alone[0]));
  const at::Tensor other_seed = levy_sample(shrink, settings, {2, 2}, 8, {5}, at::kDouble);
  EXPECT_FALSE(at::equal(other_seed[0], alone[0]));
}

TEST(LevySampler, ClampingBoundsTheInitialNoiseAndTheSamples) {
  LevySamplerSettings settings;
  settings.clamp_a = 0.0;  // unclamped
  settings.process = LevyReverse::dlim;
  settings.chain.alpha = 1.2;  // very heavy tails: unclamped, some of 200 draws exceed 10
  settings.chain.steps = 2;
  const AlphaStableSchedule schedule(settings.chain.alpha, settings.chain.steps);
  // With steps = 2 and ε̂ = 0 the DLIM result is Y_1 / γ_1 = σ_{1→1} ε / γ_1.
  const NoisePredictor zero = [](const at::Tensor& y, const at::Tensor&) { return at::zeros_like(y); };
  const double scale = schedule.cumulative_sigma(1) / schedule.gamma(1);
  const at::Tensor unclamped = levy_sample(zero, settings, {1}, 1, index_range(0, 200), at::kDouble) / scale;
  settings.clamp_eps = 10.0;
  const at::Tensor clamped = levy_sample(zero, settings, {1}, 1, index_range(0, 200), at::kDouble) / scale;
  EXPECT_GT(unclamped.abs().max().item<double>(), 10.0);
  EXPECT_LE(clamped.abs().max().item<double>(), 10.0 + 1e-9);
  // The final clamp bounds the samples themselves and leaves the others as they were.
  settings.clamp_eps = 0.0;
  settings.clamp_samples = 6.0 * scale;
  const at::Tensor final_clamped = levy_sample(zero, settings, {1}, 1, index_range(0, 200), at::kDouble) / scale;
  EXPECT_LE(final_clamped.abs().max().item<double>(), 6.0 + 1e-9);
  const at::Tensor inside = unclamped.abs() < 6.0;
  EXPECT_TRUE(at::equal(final_clamped.masked_select(inside), unclamped.masked_select(inside)));
  EXPECT_GT(inside.logical_not().sum().item<std::int64_t>(), 0);
  settings.clamp_samples = -1.0;
  EXPECT_THROW(levy_sample(zero, settings, {1}, 1, {0}, at::kDouble), UserError);
  settings.clamp_samples = 0.0;
  settings.chain.steps = 1;
  EXPECT_THROW(levy_sample(zero, settings, {1}, 1, {0}, at::kDouble), UserError);
}

}  // namespace
}  // namespace scorch::evaluation
