#include "common/random_stream.h"
#include "common/user_error.h"
#include "models/alpha_stable_noise.h"
#include "models/gaussian_noise.h"
#include "models/generalized_normal_noise.h"
#include "test_support.h"

#include <gtest/gtest.h>

namespace scorch::models {
namespace {

at::Generator generator_for(std::uint64_t seed) { return make_generator({seed, RandomPurpose::test, 0}, 0); }
const at::TensorOptions kDouble = at::TensorOptions().dtype(at::kDouble);

// Checks E cos(uX) and E sin(uX) against the given characteristic function parts.
void expect_characteristic_function(const at::Tensor& x, double u, double real, double imaginary, const std::string& what) {
  const at::Tensor c = at::cos(u * x);
  const at::Tensor s = at::sin(u * x);
  EXPECT_NEAR(c.mean().item<double>(), real, 5.0 * testing::standard_error(c) + 1e-4) << what << " u=" << u;
  EXPECT_NEAR(s.mean().item<double>(), imaginary, 5.0 * testing::standard_error(s) + 1e-4) << what << " u=" << u;
}

TEST(GeneralizedNormal, VarianceMatchesGammaRatio) {
  for (double beta : {0.75, 1.0, 1.5, 2.0, 4.0}) {
    const GeneralizedNormalNoise noise(beta);
    at::Generator generator = generator_for(static_cast<std::uint64_t>(beta * 100));
    const at::Tensor x = noise.sample({400000}, generator, kDouble);
    const at::Tensor squares = x.square();
    const double expected = GeneralizedNormalNoise::variance(std::sqrt(2.0), beta);
    EXPECT_NEAR(expected, 2.0 * std::tgamma(3.0 / beta) / std::tgamma(1.0 / beta), 1e-12);
    EXPECT_NEAR(squares.mean().item<double>(), expected, 5.0 * testing::standard_error(squares)) << beta;
    EXPECT_NEAR(x.mean().item<double>(), 0.0, 5.0 * testing::standard_error(x)) << beta;
  }
}

TEST(GeneralizedNormal, BetaTwoIsExactlyGaussian) {
  const GeneralizedNormalNoise gn(2.0);
  const GaussianNoise gaussian;
  const at::Tensor d = at::linspace(-3, 3, 13, at::kDouble);
  const at::Tensor level = at::full({}, 0.7, at::kDouble);
  EXPECT_TRUE(at::allclose(gn.log_density(d, level), gaussian.log_density(d, level), 1e-12, 1e-12));
  EXPECT_TRUE(at::allclose(gn.kernel_score(d, level), gaussian.kernel_score(d, level), 1e-12, 1e-12));
  EXPECT_NEAR(GeneralizedNormalNoise::variance(std::sqrt(2.0), 2.0), 1.0, 1e-12);
}

TEST(GeneralizedNormal, DensityIsNormalisedAndScoreIsItsGradient) {
  for (double beta : {0.75, 1.0, 1.5, 3.0}) {
    const GeneralizedNormalNoise noise(beta);
    const at::Tensor level = at::full({}, 0.8, at::kDouble);
    // ∫ p = 1 (two halves, to keep the β < 1 cusp at a grid end).
    auto density = [&](const at::Tensor& d) { return at::exp(noise.log_density(d, level)); };
    const double half = testing::simpson(density, 0.0, 60.0, 200000);
    EXPECT_NEAR(2.0 * half, 1.0, 1e-4) << beta;
    at::Tensor d = at::tensor({-2.5, -0.3, 0.2, 1.7}, kDouble).requires_grad_(true);
    const at::Tensor grad = torch::autograd::grad({noise.log_density(d, level).sum()}, {d})[0];
    EXPECT_TRUE(at::allclose(noise.kernel_score(d.detach(), level), grad, 1e-10, 1e-12)) << beta;
  }
}

TEST(GeneralizedNormal, ScoreStaysFiniteAtZeroForSmallBeta) {
  const GeneralizedNormalNoise noise(0.75);
  const at::Tensor score = noise.kernel_score(at::zeros({3}, at::kDouble), at::full({}, 1.0, at::kDouble));
  EXPECT_TRUE(at::isfinite(score).all().item<bool>());
}

TEST(GeneralizedNormal, RefusesBetaAtOrBelowOneHalf) {
  EXPECT_THROW(GeneralizedNormalNoise(0.5), UserError);
  EXPECT_THROW(GeneralizedNormalNoise(0.2), UserError);
  try {
    GeneralizedNormalNoise(0.5);
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("> 0.5"), std::string::npos);
  }
}

TEST(AlphaStable, CharacteristicFunctionIsExpMinusAbsUToTheAlpha) {
  for (double alpha : {1.2, 1.5, 1.7, 1.9, 2.0}) {
    const AlphaStableNoise noise(alpha, /*isotropic=*/false);
    at::Generator generator = generator_for(static_cast<std::uint64_t>(alpha * 1000));
    const at::Tensor x = noise.sample({200000}, generator, kDouble);
    for (double u : {0.3, 1.0, 2.0}) {
      expect_characteristic_function(x, u, std::exp(-std::pow(u, alpha)), 0.0, "alpha=" + std::to_string(alpha));
    }
  }
}

TEST(AlphaStable, AlphaTwoIsNormalWithVarianceTwo) {
  const AlphaStableNoise noise(2.0, false);
  at::Generator generator = generator_for(1);
  const at::Tensor x = noise.sample({200000}, generator, kDouble);
  const at::Tensor squares = x.square();
  EXPECT_NEAR(squares.mean().item<double>(), 2.0, 5.0 * testing::standard_error(squares));
  at::Generator a_generator = generator_for(2);
  EXPECT_TRUE(at::equal(noise.sample_subordinator({5}, a_generator), at::full({5}, 2.0, kDouble)));
  EXPECT_TRUE(noise.has_density());
  EXPECT_TRUE(at::allclose(noise.kernel_score(at::ones({1}, at::kDouble), at::ones({}, at::kDouble)),
                           at::full({1}, -0.5, at::kDouble)));
}

TEST(AlphaStable, SubordinatorIsNonNegative) {
  for (double alpha : {0.5, 1.0, 1.5, 1.8, 1.95, 1.999}) {
    const AlphaStableNoise noise(alpha, true);
    at::Generator generator = generator_for(7);
    const at::Tensor A = noise.sample_subordinator({100000}, generator);
    EXPECT_TRUE((A >= 0).all().item<bool>()) << alpha;
    EXPECT_FALSE(at::isnan(A).any().item<bool>()) << alpha;
  }
}

// Chambers–Mallows–Stuck against the S1 characteristic function
// exp(−|u|^α (1 − iβ sign(u) tan(πα/2))), and the Cauchy case α = 1.
TEST(AlphaStable, ChambersMallowsStuckMatchesSkewedCharacteristicFunction) {
  for (double alpha : {0.75, 1.5}) {
    for (double skew : {1.0, -0.5}) {
      at::Generator generator = generator_for(99);
      const at::Tensor x = sample_stable(alpha, skew, {300000}, generator);
      for (double u : {0.5, 1.0}) {
        const double modulus = std::exp(-std::pow(u, alpha));
        const double phase = std::pow(u, alpha) * skew * std::tan(M_PI * alpha / 2.0);
        expect_characteristic_function(x, u, modulus * std::cos(phase), modulus * std::sin(phase),
                                       "alpha=" + std::to_string(alpha) + " skew=" + std::to_string(skew));
      }
    }
  }
  at::Generator generator = generator_for(5);
  const at::Tensor cauchy = sample_stable(1.0, 0.0, {300000}, generator);
  for (double u : {0.5, 1.5}) expect_characteristic_function(cauchy, u, std::exp(-u), 0.0, "cauchy");
}

TEST(AlphaStable, IsotropicNoiseSharesOneSubordinatorPerExample) {
  const AlphaStableNoise isotropic(1.5, true);
  at::Generator a = generator_for(42);
  const at::Tensor x = isotropic.sample({4, 3}, a, kDouble);
  at::Generator b = generator_for(42);
  const at::Tensor A = isotropic.sample_subordinator({}, b);
  const at::Tensor G = at::randn({4, 3}, b, kDouble);
  EXPECT_TRUE(at::allclose(x, at::sqrt(A) * G, 1e-14, 0));
  // Per-example marginals are still S_α(0, 1).
  const at::Tensor first = draw_per_example({8, RandomPurpose::test, 0}, index_range(0, 40000), [&](at::Generator& g) {
    return isotropic.sample({2}, g, kDouble);
  }).select(1, 0);
  expect_characteristic_function(first, 1.0, std::exp(-1.0), 0.0, "isotropic first coordinate");
}

TEST(AlphaStable, HasNoDensityBelowTwoAndRejectsBadAlpha) {
  const AlphaStableNoise noise(1.7, true);
  EXPECT_FALSE(noise.has_density());
  EXPECT_THROW(noise.kernel_score(at::ones({1}), at::ones({})), UserError);
  EXPECT_THROW(AlphaStableNoise(2.1, true), UserError);
  EXPECT_THROW(AlphaStableNoise(0.0, true), UserError);
}

TEST(Gaussian, SamplesOnRequestedDtypeAndAreReproducible) {
  const GaussianNoise noise;
  at::Generator a = generator_for(3);
  at::Generator b = generator_for(3);
  const at::Tensor x = noise.sample({2, 3}, a, at::TensorOptions().dtype(at::kFloat));
  EXPECT_EQ(x.scalar_type(), at::kFloat);
  EXPECT_TRUE(at::equal(x, noise.sample({2, 3}, b, at::TensorOptions().dtype(at::kFloat))));
}

}  // namespace
}  // namespace scorch::models
