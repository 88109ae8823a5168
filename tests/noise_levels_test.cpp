// The noise-level ladders: the incomplete gamma function against closed forms
// and an integrated density, the gamma-matched length law against exact χ²
// (β = 2) and Monte Carlo (β = 1), and the overlap scheme (Algorithm 3)
// against its defining property.
#include "cli_support.h"
#include "models/incomplete_gamma.h"
#include "models/noise_levels.h"
#include "test_support.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace scorch::models {
namespace {

TEST(IncompleteGamma, MatchesClosedFormsAndInvertsItself) {
  for (double x : {0.01, 0.5, 1.0, 3.0, 10.0, 40.0}) {
    EXPECT_NEAR(regularized_gamma_p(1.0, x), 1.0 - std::exp(-x), 1e-14) << x;        // exponential law
    EXPECT_NEAR(regularized_gamma_p(0.5, x), std::erf(std::sqrt(x)), 1e-14) << x;    // χ²_1 at 2x
  }
  for (double p : {0.001, 0.05, 0.5, 0.95, 0.999}) {
    EXPECT_NEAR(gamma_quantile(1.0, p), -std::log1p(-p), 1e-12 * (1.0 - std::log1p(-p))) << p;
    for (double a : {0.3, 2.5, 392.0, 5000.0}) {
      // The log prefactor a·ln x − x − lnΓ(a) cancels terms of size ~a: about ε·a of absolute error.
      EXPECT_NEAR(regularized_gamma_p(a, gamma_quantile(a, p)), p, 1e-13 + 2e-15 * a) << a << " " << p;
    }
  }
}

TEST(IncompleteGamma, ChiSquaredQuantilesAgreeWithTheIntegratedDensity) {
  // χ²_784 (the dimension of 28×28 images): ∫_0^q of the density, by Simpson, is p.
  const double n = 784.0;
  for (double p : {0.05, 0.95}) {
    const double q = 2.0 * gamma_quantile(n / 2.0, p);
    const double mass = testing::simpson(
        [&](const at::Tensor& x) {
          return at::exp((n / 2.0 - 1.0) * at::log(x.clamp_min(1e-300)) - x / 2.0 - std::lgamma(n / 2.0) -
                         n / 2.0 * std::log(2.0));
        },
        0.0, q, 200000);
    EXPECT_NEAR(mass, p, 1e-9) << p;
    // Wilson–Hilferty, an independent approximation good to ~1e-4 here.
    const double z = p > 0.5 ? 1.6448536269514722 : -1.6448536269514722;
    const double wilson_hilferty = n * std::pow(1.0 - 2.0 / (9.0 * n) + z * std::sqrt(2.0 / (9.0 * n)), 3.0);
    EXPECT_NEAR(q / wilson_hilferty, 1.0, 2e-4) << p;
  }
}

TEST(NoiseLevels, LengthLawIsExactChiSquaredForGaussianNoise) {
  for (double p : {0.05, 0.5, 0.95}) {
    EXPECT_NEAR(generalized_normal_length_quantile(784, 2.0, p) / (2.0 * gamma_quantile(392.0, p)), 1.0, 1e-12);
  }
}

TEST(NoiseLevels, LengthLawMatchesMonteCarloForLaplaceNoise) {
  // ξ = α s G^{1/β} with G ~ Gamma(1/β, 1), α = √2; ‖ξ‖² over 784 coordinates.
  const int dimension = 784, draws = 20000;
  const double beta = 1.0;
  std::mt19937_64 generator(7);
  std::gamma_distribution<double> gamma(1.0 / beta, 1.0);
  std::vector<double> lengths(draws);
  for (double& length : lengths) {
    length = 0.0;
    for (int i = 0; i < dimension; ++i) length += 2.0 * std::pow(gamma(generator), 2.0 / beta);
  }
  std::sort(lengths.begin(), lengths.end());
  for (double p : {0.05, 0.5, 0.95}) {
    const double empirical = lengths[static_cast<std::size_t>(p * draws)];
    EXPECT_NEAR(generalized_normal_length_quantile(dimension, beta, p) / empirical, 1.0, 0.01) << p;
  }
}

TEST(NoiseLevels, OverlapSchemeIsGeometricWithTheChiSquaredRatioAtBetaTwo) {
  const double delta = 0.9, sigma_min = 0.01, sigma_max = 50.0;
  const at::Tensor levels = overlap_noise_levels(sigma_max, sigma_min, delta, 784, 2.0);
  const double ratio = std::sqrt(gamma_quantile(392.0, 0.95) / gamma_quantile(392.0, 0.05));
  const std::int64_t count = levels.size(0);
  ASSERT_GE(count, 3);
  EXPECT_NEAR(levels[count - 1].item<double>(), sigma_min, 1e-15);
  EXPECT_GE(levels[0].item<double>(), sigma_max);
  EXPECT_LT(levels[1].item<double>(), sigma_max);
  for (std::int64_t i = 0; i + 1 < count; ++i) {
    const double upper = levels[i].item<double>(), lower = levels[i + 1].item<double>();
    EXPECT_NEAR(upper / lower, ratio, 1e-12 * ratio);
    // Algorithm 3's defining property: the lower level's upper quantile meets the upper level's lower one.
    EXPECT_NEAR(lower * lower * generalized_normal_length_quantile(784, 2.0, 0.95),
                upper * upper * generalized_normal_length_quantile(784, 2.0, 0.05), 1e-9 * upper * upper * 784);
  }
  // Heavier tails spread the length law, so the ladder is coarser: fewer levels.
  EXPECT_LT(overlap_noise_levels(sigma_max, sigma_min, delta, 784, 1.0).size(0), count);
}

TEST(NoiseLevels, ScheduleCommandPrintsTheOverlapLadder) {
  const std::string config = testing::config_path("ncsnv2_small_28x28x1");
  const testing::CliRun run =
      testing::run_scorch("schedule --json --config " + config + " --set sigmas.scheme=overlap --set sigmas.delta=0.9");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto report = nlohmann::json::parse(run.out);
  const auto sigmas = report["noise_levels"]["sigmas"].get<std::vector<double>>();
  const at::Tensor expected = overlap_noise_levels(20.0, 0.01, 0.9, 784, 2.0);
  ASSERT_EQ(static_cast<std::int64_t>(sigmas.size()), expected.size(0));
  for (std::size_t i = 0; i < sigmas.size(); ++i) EXPECT_DOUBLE_EQ(sigmas[i], expected[i].item<double>());
  const testing::CliRun table = testing::run_scorch("schedule --config " + config + " --set sigmas.scheme=overlap");
  EXPECT_NE(table.out.find("sigmas.scheme overlap"), std::string::npos) << table.out;
  testing::expect_one_line_error(
      testing::run_scorch("schedule --config " + config +
                          " --set sigmas.scheme=overlap --set noise.family=alpha_stable --set noise.alpha=1.8"),
      "overlap needs gaussian or generalized_normal");
}

TEST(NoiseLevels, ScheduleCommandPrintsTheDlpmChain) {
  const testing::CliRun run =
      testing::run_scorch("schedule --json --config " + testing::config_path("dlpm_grid") + " --set noise.alpha=1.7");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto chain = nlohmann::json::parse(run.out)["levy_chain"];
  EXPECT_EQ(chain["steps"], 100);
  ASSERT_EQ(chain["points"].size(), 11u);
  for (const auto& point : chain["points"]) {
    // Scale preservation: γ_{1→t}^α + σ_{1→t}^α = 1 at every index.
    const double gamma = point["cumulative_gamma"].get<double>(), sigma = point["cumulative_sigma"].get<double>();
    EXPECT_NEAR(std::pow(gamma, 1.7) + std::pow(sigma, 1.7), 1.0, 1e-12) << point;
  }
  EXPECT_EQ(chain["points"][10]["t"], 99);
}

}  // namespace
}  // namespace scorch::models
