#include "common/random_stream.h"
#include "common/user_error.h"
#include "common/config.h"
#include "evaluation/sampling/annealed_langevin.h"
#include "evaluation/sampling/model_sampler.h"
#include "evaluation/sampling/sampler_config.h"
#include "models/alpha_stable_noise.h"
#include "models/analytic_gmm.h"
#include "models/diffusion_process.h"
#include "models/generalized_normal_noise.h"
#include "test_support.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

namespace scorch::evaluation {
namespace {

using models::AnalyticGmmModel;
using models::GaussianMixture;

std::vector<double> geometric(double largest, double smallest, int count) {
  std::vector<double> sigmas;
  for (int i = 0; i < count; ++i) {
    sigmas.push_back(largest * std::pow(smallest / largest, static_cast<double>(i) / (count - 1)));
  }
  return sigmas;
}

at::Tensor uniform_start(std::int64_t n, double low, double high) {
  at::Generator generator = make_generator({9, RandomPurpose::test, 0}, 0);
  return at::rand({n, 2}, generator, at::kDouble) * (high - low) + low;
}

// NCSN's motivating example: modes 0.2 at (−5, −5) and 0.8 at (5, 5).
AnalyticGmmModel two_modes() {
  return AnalyticGmmModel(GaussianMixture{at::tensor({0.2, 0.8}, at::kDouble),
                                          torch::tensor({{-5.0, -5.0}, {5.0, 5.0}}, at::kDouble),
                                          at::eye(2, at::kDouble).unsqueeze(0).repeat({2, 1, 1})},
                          1.0);
}

double share_in_heavy_mode(const at::Tensor& samples) {
  return (samples.select(1, 0) + samples.select(1, 1) > 0).to(at::kDouble).mean().item<double>();
}

TEST(AnnealedLangevin, RecoversMixtureWeightsThatPlainLangevinCannot) {
  AnalyticGmmModel model = two_modes();
  const std::int64_t n = 1000;
  const at::Tensor start = uniform_start(n, -8.0, 8.0);
  AldSettings annealed{geometric(20.0, 1.0, 10), 100, 0.1, true};
  const double recovered = share_in_heavy_mode(annealed_langevin(model.as_function(), start, annealed, 3, index_range(0, n)));
  EXPECT_NEAR(recovered, 0.8, 0.05);
  // One small level: samples stay in the mode they start nearest to, about half and half.
  AldSettings plain{{1.0}, 1000, 0.1, true};
  const double stuck = share_in_heavy_mode(annealed_langevin(model.as_function(), start, plain, 3, index_range(0, n)));
  EXPECT_NEAR(stuck, share_in_heavy_mode(start), 0.05);
  EXPECT_GT(std::abs(recovered - stuck), 0.15);
}

// Eq. 6.4 against the exact variance recursion v ← (1 − a)² v + 2α of
// Langevin steps on N(0, σ_i²) data, with a = α/σ_i² = ε/σ_L².
TEST(AnnealedLangevin, EquationSixFourMatchesTheGaussianRecursion) {
  const double sigma_l = 0.01, sigma_i = 0.3, gamma = 1.2, epsilon = 6.2e-6 * 5;
  const double alpha = epsilon * (sigma_i / sigma_l) * (sigma_i / sigma_l);
  double variance = gamma * gamma * sigma_i * sigma_i;
  for (int k = 0; k < 5; ++k) variance = std::pow(1.0 - alpha / (sigma_i * sigma_i), 2) * variance + 2.0 * alpha;
  EXPECT_NEAR(ald_variance_ratio(epsilon, gamma, sigma_l, 5), variance / (sigma_i * sigma_i), 1e-12);
  EXPECT_TRUE(ald_step_is_stable(6.2e-6, sigma_l));
  EXPECT_FALSE(ald_step_is_stable(2.5e-4, sigma_l));
}

TEST(AnnealedLangevin, ReproducesGaussianMomentsAfterDenoising) {
  const at::Tensor mean = at::tensor({1.0, -2.0}, at::kDouble);
  const at::Tensor covariance = torch::tensor({{0.5, 0.2}, {0.2, 0.3}}, at::kDouble);
  AnalyticGmmModel model(GaussianMixture{at::ones({1}, at::kDouble), mean.unsqueeze(0), covariance.unsqueeze(0)}, 1.0);
  const std::int64_t n = 3000;
  AldSettings settings{geometric(5.0, 0.01, 20), 100, 2e-5, true};
  const at::Tensor samples =
      annealed_langevin(model.as_function(), uniform_start(n, -5.0, 5.0), settings, 4, index_range(0, n));
  testing::expect_gaussian_moments(samples, mean, covariance, 5.0, "ALD");
  EXPECT_THROW(annealed_langevin(model.as_function(), samples, AldSettings{}, 4, index_range(0, n)), UserError);
}

// α = 2 stable noise at level σ is N(0, 2σ²): the model's batch sampler
// denoises with 2σ_L², and a point mass comes back to the point. Generalised
// normal noise has no Tweedie step: the default turns it off, asking is an error.
TEST(AnnealedLangevin, DenoisingFollowsTheModelsNoiseFamily) {
  const at::Tensor point = torch::tensor({{0.4, -0.3}}, at::kDouble);
  AnalyticGmmModel model(GaussianMixture{at::ones({1}, at::kDouble), point, at::zeros({1, 2, 2}, at::kDouble)},
                         std::sqrt(2.0));
  const models::DiffusionProcess stable(at::tensor(geometric(2.0, 0.05, 8), at::kDouble),
                                        std::make_shared<models::AlphaStableNoise>(2.0, false));
  Config sampling = Config::defaults(sampler_schema());
  sampling.set("sampler.ald.steps_per_level=20");
  sampling.set("sampler.ald.epsilon=1e-4");
  const SamplerRun run{3, at::kDouble, {}};
  const PreparedSampler sampler = make_batch_sampler(SamplerKind::ald, sampling, {model, stable, data::PixelRange::symmetric}, run);
  const at::Tensor x = sampler.draw(index_range(0, 50)).samples;
  EXPECT_LT((x - point).abs().max().item<double>(), 1e-6);

  const models::DiffusionProcess heavy(at::tensor(geometric(2.0, 0.05, 8), at::kDouble),
                                       std::make_shared<models::GeneralizedNormalNoise>(1.5));
  AnalyticGmmModel any(GaussianMixture{at::ones({1}, at::kDouble), point, at::eye(2, at::kDouble).unsqueeze(0)}, 1.0);
  const PreparedSampler off = make_batch_sampler(SamplerKind::ald, sampling, {any, heavy, data::PixelRange::symmetric}, run);
  EXPECT_NE(off.describe().find("denoise false (no Tweedie step"), std::string::npos) << off.describe();
  sampling.set("sampler.denoise=true");
  EXPECT_THROW(make_batch_sampler(SamplerKind::ald, sampling, {any, heavy, data::PixelRange::symmetric}, run), UserError);
}

TEST(AnnealedLangevin, ReproducesOneDimensionalGaussianMoments) {
  AnalyticGmmModel model(GaussianMixture{at::ones({1}, at::kDouble), torch::tensor({{0.3}}, at::kDouble),
                                         torch::tensor({{{0.09}}}, at::kDouble)},
                         1.0);
  const std::int64_t n = 3000;
  at::Generator generator = make_generator({10, RandomPurpose::test, 0}, 0);
  const at::Tensor start = at::rand({n, 1}, generator, at::kDouble) * 6.0 - 3.0;
  AldSettings settings{geometric(3.0, 0.01, 15), 100, 2e-5, true};
  const at::Tensor samples = annealed_langevin(model.as_function(), start, settings, 5, index_range(0, n));
  testing::expect_gaussian_moments(samples, torch::tensor({0.3}, at::kDouble), torch::tensor({{0.09}}, at::kDouble), 5.0,
                                   "ALD 1-D");
}

// With a zero score one step is x + √(2α) z: z must have unit variance and the
// generalised normal's kurtosis Γ(5/β)Γ(1/β)/Γ(3/β)² (6 for Laplace, 3 for Gaussian).
TEST(AnnealedLangevin, GeneralizedNormalNoiseHasUnitVarianceAndItsKurtosis) {
  const models::ScoreFunction zero = [](const at::Tensor& x, const at::Tensor&) { return at::zeros_like(x); };
  const std::int64_t n = 20000;
  const at::Tensor start = at::zeros({n, 2}, at::kDouble);
  for (double beta : {1.0, 1.5, 2.0}) {
    AldSettings settings{{1.0}, 1, 0.02, false};
    settings.langevin_noise_shape = beta;
    const at::Tensor z = annealed_langevin(zero, start, settings, 6, index_range(0, n)).flatten() / std::sqrt(0.04);
    const double variance = z.var().item<double>();
    const double kurtosis = z.pow(4).mean().item<double>() / (variance * variance);
    const double expected = std::tgamma(5.0 / beta) * std::tgamma(1.0 / beta) / std::pow(std::tgamma(3.0 / beta), 2);
    EXPECT_NEAR(variance, 1.0, 0.03) << beta;
    EXPECT_NEAR(kurtosis, expected, 0.1 * expected) << beta;
  }
  AldSettings invalid{{1.0}, 1, 0.02, false};
  invalid.langevin_noise_shape = 0.4;
  EXPECT_THROW(annealed_langevin(zero, start, invalid, 6, index_range(0, n)), UserError);
}

// The heavy-tailed DSM notebook's Langevin: α = ε at every level and noise
// σ_i ξ, ξ ~ GN(0, √2, β). On N(0, v) data with the exact (unconditional)
// score −x/v the last level's stationary variance is 2ε σ_L² Var ξ / (1 −
// (1 − ε/v)²), with Var ξ = 2Γ(3/β)/Γ(1/β): 1 at β = 2, 4 for Laplace. NCSN's
// rule reaches 2ε/(1 − (1 − ε/v)²) at its last level instead.
TEST(AnnealedLangevin, ConstantStepWithLevelScaledNoiseReachesItsStationaryVariance) {
  const double v = 1.0, epsilon = 0.1;
  const models::ScoreFunction score = [v](const at::Tensor& x, const at::Tensor&) { return -x / v; };
  const std::int64_t n = 20000;
  const at::Tensor start = uniform_start(n, -6.0, 6.0);
  const double contraction = 1.0 - std::pow(1.0 - epsilon / v, 2);
  for (double beta : {2.0, 1.0}) {
    AldSettings settings{{1.0, 0.25}, 300, epsilon, false};
    settings.step = AldStep::constant;
    settings.noise_scale = AldNoiseScale::level;
    settings.langevin_noise_shape = beta;
    const double noise_variance = 2.0 * std::tgamma(3.0 / beta) / std::tgamma(1.0 / beta);
    const double expected = 2.0 * epsilon * 0.25 * 0.25 * noise_variance / contraction;
    const at::Tensor x = annealed_langevin(score, start, settings, 7, index_range(0, n));
    EXPECT_NEAR(x.var().item<double>(), expected, 0.04 * expected) << beta;
  }
  AldSettings ncsn{{1.0, 0.25}, 300, epsilon, false};
  const at::Tensor x = annealed_langevin(score, start, ncsn, 7, index_range(0, n));
  EXPECT_NEAR(x.var().item<double>(), 2.0 * epsilon / contraction, 0.04 * 2.0 * epsilon / contraction);

  // The keys reach the sampler and its description.
  Config sampling = Config::defaults(sampler_schema());
  sampling.set("sampler.ald.step=constant");
  sampling.set("sampler.ald.noise_scale=level");
  EXPECT_EQ(ald_settings_from(sampling, {1.0}).step, AldStep::constant);
  EXPECT_EQ(ald_settings_from(sampling, {1.0}).noise_scale, AldNoiseScale::level);
  EXPECT_THROW(
      {
        sampling.set("sampler.ald.step=fixed");
        ald_settings_from(sampling, {1.0});
      },
      UserError);
}

}  // namespace
}  // namespace scorch::evaluation
