// ODE log-likelihoods and the DSM bound against closed forms, with exact
// scores of Gaussian data (analytic_gmm) on VE, VP and subVP SDEs.
#include "evaluation/likelihood/dsm_bound.h"
#include "evaluation/likelihood/ode_likelihood.h"
#include "models/analytic_gmm.h"
#include "models/linear_beta_sde.h"
#include "models/ve_sde.h"
#include "sde_test_support.h"
#include "test_support.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <numeric>

namespace scorch::evaluation {
namespace {

using models::AnalyticGmmModel;
using models::GaussianMixture;

std::vector<std::shared_ptr<const models::Sde>> all_sdes() { return testing::all_sdes(50.0); }

GaussianMixture gaussian(const at::Tensor& mean, const at::Tensor& covariance) {
  return {at::ones({1}, at::kDouble), mean.unsqueeze(0), covariance.unsqueeze(0)};
}

const at::Tensor& data_mean() {
  static const at::Tensor mean = torch::tensor({0.5, -0.3, 0.2}, at::kDouble);
  return mean;
}
const at::Tensor& data_covariance() {
  static const at::Tensor covariance =
      torch::tensor({{0.30, 0.05, 0.00}, {0.05, 0.20, -0.04}, {0.00, -0.04, 0.25}}, at::kDouble);
  return covariance;
}

at::Tensor gaussian_points(std::int64_t n, std::uint64_t seed) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  const at::Tensor cholesky = at::linalg_cholesky(data_covariance());
  return data_mean() + at::randn({n, 3}, generator, at::kDouble).matmul(cholesky.t());
}

std::vector<std::int64_t> first_indices(std::int64_t n) {
  std::vector<std::int64_t> indices(static_cast<std::size_t>(n));
  std::iota(indices.begin(), indices.end(), 0);
  return indices;
}

LikelihoodSettings exact_settings(double tolerance) {
  LikelihoodSettings settings;
  settings.ode = {OdeMethod::rk45, tolerance, tolerance, 0};
  settings.divergence = DivergenceMethod::exact;
  settings.network_dtype = at::kDouble;
  return settings;
}

// The exact flow maps p_ε to p_T, so log p_ε(x) = log p_T(x_T) + ∫ ∇·f̃; the
// solver uses π instead of p_T, which the oracle accounts for through x_T.
TEST(OdeLikelihood, ExactDivergenceMatchesTheClosedFormDensity) {
  for (const auto& sde : all_sdes()) {
    AnalyticGmmModel model(gaussian(data_mean(), data_covariance()), sde);
    const at::Tensor x = gaussian_points(12, 1);
    const LikelihoodSettings settings = exact_settings(1e-7);
    const OdeLogLikelihood result =
        ode_log_likelihood(*sde, model.as_function(), x, at::zeros_like(x), settings);
    const at::Tensor at_eps = at::full({12}, settings.eps, at::kDouble), at_T = at::full({12}, sde->T(), at::kDouble);
    const at::Tensor expected =
        model.log_density(x, at_eps) + sde->prior_log_prob(result.latent) - model.log_density(result.latent, at_T);
    EXPECT_TRUE(at::allclose(result.log_likelihood, expected, 0, 1e-4))
        << sde->name() << ": " << (result.log_likelihood - expected).abs().max().item<double>();
    EXPECT_GT(result.function_evaluations.min().item<double>(), 10);
  }
}

TEST(OdeLikelihood, HutchinsonEstimatesAreUnbiased) {
  const auto sde = std::make_shared<models::VpSde>(0.1, 20.0);
  AnalyticGmmModel model(gaussian(data_mean(), data_covariance()), sde);
  const std::int64_t n = 300;
  const at::Tensor x = gaussian_points(n, 2);
  const at::Tensor exact = ode_log_likelihood(*sde, model.as_function(), x, at::zeros_like(x), exact_settings(1e-6)).log_likelihood;
  double spread[2];
  int which = 0;
  for (const DivergenceMethod method : {DivergenceMethod::rademacher, DivergenceMethod::gaussian}) {
    LikelihoodSettings settings = exact_settings(1e-6);
    settings.divergence = method;
    const at::Tensor probes = divergence_probes(method, 7, 0, first_indices(n), {3});
    const at::Tensor estimate = ode_log_likelihood(*sde, model.as_function(), x, probes, settings).log_likelihood;
    const at::Tensor difference = estimate - exact;
    EXPECT_NEAR(difference.mean().item<double>(), 0.0, 4.0 * testing::standard_error(difference)) << which;
    EXPECT_GT(difference.std().item<double>(), 1e-3) << which;  // it is an estimate, not the exact value
    spread[which++] = difference.std().item<double>();
  }
  EXPECT_LT(spread[0], spread[1]);  // Rademacher probes have the smaller variance
}

TEST(OdeLikelihood, ProbesDependOnlyOnSeedRepeatAndIndex) {
  const at::Tensor all = divergence_probes(DivergenceMethod::rademacher, 3, 1, {0, 1, 2, 3}, {2, 2});
  const at::Tensor some = divergence_probes(DivergenceMethod::rademacher, 3, 1, {2, 3}, {2, 2});
  EXPECT_TRUE(at::equal(all.slice(0, 2), some));
  EXPECT_TRUE(at::equal(all.abs(), at::ones_like(all)));
  EXPECT_FALSE(at::equal(all, divergence_probes(DivergenceMethod::rademacher, 3, 2, {0, 1, 2, 3}, {2, 2})));
}

// With point-mass data the exact score is the kernel score, so the integral
// term vanishes and the decoder returns the point: the bound is closed form.
TEST(DsmBound, ExactScoreOfAPointMassLeavesOnlyTheClosedFormTerms) {
  for (const auto& sde : all_sdes()) {
    const at::Tensor point = data_mean();
    AnalyticGmmModel model(gaussian(point, at::zeros({3, 3}, at::kDouble)), sde);
    DsmBoundSettings settings;
    settings.time_samples = 50;
    settings.network_dtype = at::kDouble;
    const DsmBoundTerms terms = dsm_bound(*sde, model.as_function(), point.unsqueeze(0), settings, 5, 0, {0});
    EXPECT_NEAR(terms.integral.item<double>(), 0.0, 1e-8) << sde->name();

    // Prior term: E[−log π(x_T)] by Monte Carlo over x_T ~ N(a_T x, σ_T² I).
    auto generator = at::make_generator<at::CPUGeneratorImpl>(4);
    const at::Tensor T = at::full({1}, sde->T(), at::kDouble);
    const at::Tensor x_T = sde->mean_coeff(T).item<double>() * point +
                           sde->marginal_std(T).item<double>() * at::randn({40000, 3}, generator, at::kDouble);
    const at::Tensor prior_nll = -sde->prior_log_prob(x_T);
    EXPECT_NEAR(terms.prior.item<double>(), prior_nll.mean().item<double>(), 4 * testing::standard_error(prior_nll));

    // Constant term: −½ ∫ (g² D/σ² + 2∇·f) dt by quadrature in log t.
    const double eps = settings.eps, D = 3.0;
    const double integral = testing::simpson(
        [&](const at::Tensor& u) {
          const at::Tensor t = u.exp();
          return (sde->diffusion_squared(t) * D / sde->marginal_variance(t) + 2.0 * sde->drift_divergence(t, 3)) * t;
        },
        std::log(eps), std::log(sde->T()), 200000);
    EXPECT_NEAR(terms.constant.item<double>(), -0.5 * integral, 1e-5 * std::abs(integral)) << sde->name();

    // Jensen term: the decoder mean is the point itself, leaving −D log a_ε − D/2.
    const double a_eps = sde->mean_coeff(at::full({1}, eps, at::kDouble)).item<double>();
    EXPECT_NEAR(terms.jensen.item<double>(), -D * std::log(a_eps) - D / 2.0, 1e-6) << sde->name();
  }
}

// With a zero score the integrand is ½Z‖z‖², whatever the time: only the
// kernel noise z can tell repeats apart, and each repeat must draw its own.
TEST(DsmBound, RepeatsDrawTheirOwnKernelNoise) {
  const auto sde = std::make_shared<models::VpSde>(0.1, 20.0);
  const models::ScoreFunction zero = [](const at::Tensor& x, const at::Tensor&) { return at::zeros_like(x); };
  const at::Tensor x = gaussian_points(4, 3);
  DsmBoundSettings settings;
  settings.time_samples = 1;
  settings.network_dtype = at::kDouble;
  const at::Tensor first = dsm_bound(*sde, zero, x, settings, 3, 0, first_indices(4)).integral;
  const at::Tensor again = dsm_bound(*sde, zero, x, settings, 3, 0, first_indices(4)).integral;
  const at::Tensor second = dsm_bound(*sde, zero, x, settings, 3, 1, first_indices(4)).integral;
  EXPECT_TRUE(at::equal(first, again));
  EXPECT_FALSE(at::allclose(first, second));
}

TEST(DsmBound, BoundsTheNegativeLogLikelihoodFromAbove) {
  const auto sde = std::make_shared<models::VpSde>(0.1, 20.0);
  AnalyticGmmModel model(gaussian(data_mean(), data_covariance()), sde);
  const std::int64_t n = 200;
  const at::Tensor x = gaussian_points(n, 3);
  DsmBoundSettings settings;
  settings.time_samples = 200;
  settings.network_dtype = at::kDouble;
  const at::Tensor bound = dsm_bound(*sde, model.as_function(), x, settings, 9, 0, first_indices(n)).total();
  const at::Tensor nll = -model.log_density(x, at::zeros({n}, at::kDouble));  // the data density itself
  const at::Tensor gap = bound - nll;
  EXPECT_GT(gap.mean().item<double>(), -3.0 * testing::standard_error(gap));
  EXPECT_GT(gap.mean().item<double>(), 0.0);
  // The bound is not vacuous: within a couple of nats of the truth for 3-D data.
  EXPECT_LT(gap.mean().item<double>(), 3.0);
}

}  // namespace
}  // namespace scorch::evaluation
