#include "common/random_stream.h"
#include "evaluation/sampling/ode_solver.h"
#include "models/analytic_gmm.h"
#include "models/linear_beta_sde.h"
#include "models/ve_sde.h"
#include "test_support.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

namespace scorch::evaluation {
namespace {

using models::AnalyticGmmModel;
using models::GaussianMixture;

const OdeDrift decay = [](const at::Tensor& x, const at::Tensor&) { return -x; };

TEST(OdeSolver, Rk45AndFixedStepsSolveExponentialDecayWithTheirOrders) {
  const at::Tensor x0 = at::tensor({{1.0}, {2.0}}, at::kDouble);
  const at::Tensor exact = x0 * std::exp(-1.0);
  const OdeSolution adaptive = solve_ode(decay, x0, 0.0, 1.0, {OdeMethod::rk45, 1e-9, 1e-9, 0});
  EXPECT_TRUE(at::allclose(adaptive.x, exact, 1e-7, 1e-9));
  EXPECT_GT(adaptive.nfe.min().item<std::int64_t>(), 7);
  auto error = [&](OdeMethod method, std::int64_t steps) {
    return (solve_ode(decay, x0, 0.0, 1.0, {method, 0, 0, steps}).x - exact).abs().max().item<double>();
  };
  EXPECT_NEAR(error(OdeMethod::euler, 100) / error(OdeMethod::euler, 200), 2.0, 0.1);  // first order
  EXPECT_NEAR(error(OdeMethod::heun, 100) / error(OdeMethod::heun, 200), 4.0, 0.2);    // second order
  // Backwards in time as well.
  EXPECT_TRUE(at::allclose(solve_ode(decay, exact, 1.0, 0.0, {OdeMethod::rk45, 1e-9, 1e-9, 0}).x, x0, 1e-7, 1e-9));
}

struct GaussianCase {
  std::shared_ptr<const models::Sde> sde;
  AnalyticGmmModel model;
  OdeDrift drift() {
    return [this](const at::Tensor& x, const at::Tensor& t) { return sde->probability_flow_drift(x, t, model.as_function()); };
  }
};

GaussianCase vp_gaussian() {
  auto sde = std::make_shared<models::VpSde>(0.1, 20.0);
  return {sde, AnalyticGmmModel(GaussianMixture{at::ones({1}, at::kDouble), torch::tensor({{1.0, -2.0}}, at::kDouble),
                                                torch::tensor({{{0.5, 0.2}, {0.2, 0.3}}}, at::kDouble)},
                                sde)};
}

TEST(OdeSolver, ProbabilityFlowEncodesAndDecodesBackWithin1e4) {
  GaussianCase c = vp_gaussian();
  at::Generator generator = make_generator({13, RandomPurpose::test, 0}, 0);
  const at::Tensor data = at::randn({64, 2}, generator, at::kDouble) * 0.6 + at::tensor({1.0, -2.0}, at::kDouble);
  // Measured round-trip errors: 6e-4 at rtol = atol = 1e-4, 1.1e-4 at 1e-5, 2.5e-6 at 1e-6.
  const OdeSettings settings{OdeMethod::rk45, 1e-6, 1e-6, 0};
  const OdeSolution latent = solve_ode(c.drift(), data, 1e-3, 1.0, settings);
  const OdeSolution back = solve_ode(c.drift(), latent.x, 1.0, 1e-3, settings);
  EXPECT_LT(((back.x - data).norm() / data.norm()).item<double>(), 1e-4) << "NFE " << latent.nfe.to(at::kDouble).mean().item<double>();
  // Looser tolerances need fewer evaluations.
  const OdeSolution loose = solve_ode(c.drift(), data, 1e-3, 1.0, {OdeMethod::rk45, 1e-3, 1e-3, 0});
  EXPECT_LT(loose.nfe.to(at::kDouble).mean().item<double>(), latent.nfe.to(at::kDouble).mean().item<double>());
  // Each sample's path is its own: solving one sample alone gives the same result.
  const OdeSolution alone = solve_ode(c.drift(), data.slice(0, 5, 6), 1e-3, 1.0, settings);
  EXPECT_TRUE(at::allclose(alone.x, latent.x.slice(0, 5, 6), 1e-12, 1e-12));
  EXPECT_EQ(alone.nfe[0].item<std::int64_t>(), latent.nfe[5].item<std::int64_t>());
}

TEST(OdeSolver, DecodingPriorSamplesReproducesGaussianMoments) {
  GaussianCase c = vp_gaussian();
  at::Generator generator = make_generator({14, RandomPurpose::test, 0}, 0);
  const at::Tensor prior = at::randn({3000, 2}, generator, at::kDouble);
  const OdeSolution samples = solve_ode(c.drift(), prior, 1.0, 1e-3, {OdeMethod::rk45, 1e-5, 1e-5, 0});
  testing::expect_gaussian_moments(samples.x, at::tensor({1.0, -2.0}, at::kDouble),
                                   torch::tensor({{0.5, 0.2}, {0.2, 0.3}}, at::kDouble), 5.0, "PF-ODE VP");
}

TEST(OdeSolver, DecodingReproducesOneDimensionalGaussianMomentsUnderVe) {
  auto sde = std::make_shared<models::VeSde>(0.01, 5.0);
  GaussianCase c{sde, AnalyticGmmModel(GaussianMixture{at::ones({1}, at::kDouble), torch::tensor({{0.5}}, at::kDouble),
                                                       torch::tensor({{{0.04}}}, at::kDouble)},
                                       sde)};
  at::Generator generator = make_generator({15, RandomPurpose::test, 0}, 0);
  const at::Tensor prior = at::randn({3000, 1}, generator, at::kDouble) * sde->prior_std();
  const OdeSolution samples = solve_ode(c.drift(), prior, 1.0, 1e-3, {OdeMethod::rk45, 1e-5, 1e-5, 0});
  // The VE flow of Gaussian data is affine: x_eps = μ + (x_T − μ) k with
  // k = √(Σ_eps/Σ_T), Σ_t = 0.04 + σ_t². The prior N(0, σ_max²) ignores the data
  // mean, so the samples have mean μ(1 − k) and variance σ_max² k², not exactly N(μ, 0.04).
  const auto marginal = [&](double t) {
    return 0.04 + sde->marginal_variance(torch::tensor({t}, at::kDouble)).item<double>();
  };
  const double k = std::sqrt(marginal(1e-3) / marginal(1.0));
  testing::expect_gaussian_moments(samples.x, torch::tensor({0.5 * (1.0 - k)}, at::kDouble),
                                   torch::tensor({{std::pow(sde->prior_std() * k, 2)}}, at::kDouble), 5.0,
                                   "PF-ODE VE 1-D");
}

}  // namespace
}  // namespace scorch::evaluation
