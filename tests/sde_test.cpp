#include "common/random_stream.h"
#include "models/linear_beta_sde.h"
#include "models/ve_sde.h"
#include "test_support.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace scorch::models {
namespace {

std::vector<std::shared_ptr<Sde>> reference_sdes() {
  return {std::make_shared<VeSde>(0.01, 50.0), std::make_shared<VpSde>(0.1, 20.0), std::make_shared<SubVpSde>(0.1, 20.0)};
}

at::Tensor times() { return at::linspace(1e-3, 1.0, 41, at::kDouble); }

TEST(Sde, VpMarginalIsVariancePreserving) {
  const VpSde sde(0.1, 20.0);
  const at::Tensor t = times();
  EXPECT_TRUE(at::allclose(sde.mean_coeff(t).square() + sde.marginal_variance(t), at::ones_like(t), 0, 1e-14));
}

TEST(Sde, ScheduleIsFloat64AndStableNearZero) {
  const VpSde vp(0.1, 20.0);
  const at::Tensor t = at::full({1}, 1e-5, at::kFloat);  // even from float32 times
  const double B = vp.integrated_beta(t).item<double>();
  EXPECT_EQ(vp.marginal_std(t).scalar_type(), at::kDouble);
  // σ² = 1 − e^{−B} = B − B²/2 + ...; naive float32 loses most digits here.
  EXPECT_NEAR(vp.marginal_variance(t).item<double>(), B - B * B / 2.0, 1e-18);
  const SubVpSde subvp(0.1, 20.0);
  EXPECT_NEAR(subvp.marginal_std(t).item<double>(), B - B * B / 2.0, 1e-18);
}

// The marginal moments obey da/dt = f_coeff·a and dσ²/dt = 2 f_coeff σ² + g²;
// for VE this is dσ²/dt = g². Checked by central differences.
TEST(Sde, DiffusionMatchesDerivativeOfMarginal) {
  const double h = 1e-6;
  for (const auto& sde : reference_sdes()) {
    const at::Tensor t = times().slice(0, 1, 40);
    const at::Tensor dvar = (sde->marginal_variance(t + h) - sde->marginal_variance(t - h)) / (2 * h);
    const at::Tensor da = (sde->mean_coeff(t + h) - sde->mean_coeff(t - h)) / (2 * h);
    const at::Tensor f = sde->drift_coeff(t);
    const at::Tensor expected_dvar = 2.0 * f * sde->marginal_variance(t) + sde->diffusion_squared(t);
    EXPECT_TRUE(at::allclose(dvar, expected_dvar, 1e-6, 1e-9)) << sde->name();
    EXPECT_TRUE(at::allclose(da, f * sde->mean_coeff(t), 1e-6, 1e-9)) << sde->name();
  }
  const VeSde ve(0.01, 50.0);
  const at::Tensor t = times().slice(0, 1, 40);
  const at::Tensor dvar = (ve.marginal_variance(t + h) - ve.marginal_variance(t - h)) / (2 * h);
  EXPECT_TRUE(at::allclose(dvar, ve.diffusion_squared(t), 1e-6, 1e-9));
}

// A fine Euler–Maruyama simulation from a point mass reproduces the closed-form
// marginal. VE starts from N(x0, σ_min²), the marginal at t = 0 of its kernel.
TEST(Sde, EulerMaruyamaMatchesMarginal) {
  const double x0 = 1.5;
  const int64_t paths = 40000;
  const int steps = 4000;
  for (const auto& sde : reference_sdes()) {
    at::Generator generator = make_generator({11, RandomPurpose::test, 0}, 0);
    at::Tensor x = at::full({paths}, x0, at::kDouble);
    if (sde->variance_exploding()) x = x + sde->marginal_std(at::zeros({}, at::kDouble)) * at::randn({paths}, generator, at::kDouble);
    const double dt = sde->T() / steps;
    for (int i = 0; i < steps; ++i) {
      // Midpoint times keep the O(dt) bias of the left rule out of the comparison.
      const at::Tensor t = at::full({}, (i + 0.5) * dt, at::kDouble);
      x = x + sde->drift(x, t) * dt + sde->diffusion(t) * std::sqrt(dt) * at::randn({paths}, generator, at::kDouble);
    }
    const at::Tensor T = at::full({}, sde->T(), at::kDouble);
    const double mean = sde->mean_coeff(T).item<double>() * x0;
    const double variance = sde->marginal_variance(T).item<double>();
    const double sd = std::sqrt(variance);
    EXPECT_NEAR(x.mean().item<double>(), mean, 5.0 * sd / std::sqrt(paths)) << sde->name();
    EXPECT_NEAR(x.var().item<double>(), variance, 5.0 * variance * std::sqrt(2.0 / paths) + 2e-3 * variance)
        << sde->name();
  }
}

TEST(Sde, KernelScoreIsGradientOfKernelLogDensity) {
  for (const auto& sde : reference_sdes()) {
    at::Generator generator = make_generator({3, RandomPurpose::test, 0}, 0);
    const at::Tensor x0 = at::randn({4, 3}, generator, at::kDouble);
    const at::Tensor t = at::tensor({0.01, 0.2, 0.5, 0.9}, at::kDouble);
    at::Tensor xt = sde->perturb(x0, t, at::randn({4, 3}, generator, at::kDouble)).requires_grad_(true);
    const at::Tensor mean = sde->mean_coeff(t).unsqueeze(1) * x0;
    const at::Tensor var = sde->marginal_variance(t).unsqueeze(1);
    const at::Tensor log_density = (-(xt - mean).square() / (2 * var)).sum();
    const at::Tensor grad = torch::autograd::grad({log_density}, {xt})[0];
    EXPECT_TRUE(at::allclose(sde->kernel_score(xt.detach(), x0, t), grad, 1e-10, 1e-10)) << sde->name();
  }
}

TEST(Sde, PriorLogDensityAndEntropy) {
  for (const auto& sde : reference_sdes()) {
    at::Generator generator = make_generator({5, RandomPurpose::test, 0}, 0);
    const at::Tensor x = sde->sample_prior({50000, 4}, generator, at::TensorOptions().dtype(at::kDouble));
    EXPECT_NEAR(x.std().item<double>(), sde->prior_std(), 0.01 * sde->prior_std()) << sde->name();
    const at::Tensor log_prob = sde->prior_log_prob(x);
    // Entropy = −E log π; the Monte-Carlo mean must agree.
    EXPECT_NEAR(-log_prob.mean().item<double>(), sde->prior_entropy(4), 5.0 * testing::standard_error(log_prob))
        << sde->name();
    // Against the 1-D normal log-density at a point.
    const at::Tensor point = at::full({1, 1}, 0.7, at::kDouble);
    const double s = sde->prior_std();
    EXPECT_NEAR(sde->prior_log_prob(point).item<double>(), -0.5 * std::log(2 * M_PI * s * s) - 0.49 / (2 * s * s), 1e-12);
  }
}

TEST(Sde, ReverseAndProbabilityFlowDrifts) {
  const VpSde sde(0.1, 20.0);
  const at::Tensor x = torch::tensor({{0.5, -1.0}, {2.0, 0.25}}, at::kDouble);
  const at::Tensor t = at::tensor({0.3, 0.7}, at::kDouble);
  const ScoreFunction score = [](const at::Tensor& y, const at::Tensor&) { return -3.0 * y; };
  const at::Tensor f = -0.5 * sde.beta(t).unsqueeze(1) * x;
  const at::Tensor g2 = sde.beta(t).unsqueeze(1);
  EXPECT_TRUE(at::allclose(sde.reverse_drift(x, t, score), f - g2 * (-3.0 * x)));
  EXPECT_TRUE(at::allclose(sde.probability_flow_drift(x, t, score), f - 0.5 * g2 * (-3.0 * x)));
  EXPECT_TRUE(at::allclose(sde.drift_divergence(t, 2), -0.5 * sde.beta(t) * 2.0));
}

// The probability-flow ODE with the exact score of N(0, s0²) data transports
// the marginal: d/dt Var = 2·E[x·drift] must equal dVar/dt of the marginal.
TEST(Sde, ProbabilityFlowPreservesGaussianMarginal) {
  const double s0 = 0.6;
  for (const auto& sde : reference_sdes()) {
    const at::Tensor t = at::tensor({0.2, 0.6}, at::kDouble);
    const at::Tensor var = sde->mean_coeff(t).square() * s0 * s0 + sde->marginal_variance(t);
    const ScoreFunction score = [&](const at::Tensor& y, const at::Tensor&) { return -y / var.unsqueeze(1); };
    const at::Tensor x = at::ones({2, 1}, at::kDouble);
    // Linear drift k·x, so dVar/dt = 2 k Var.
    const at::Tensor k = sde->probability_flow_drift(x, t, score).squeeze(1);
    const double h = 1e-6;
    auto variance_at = [&](double offset) {
      const at::Tensor tt = t + offset;
      return sde->mean_coeff(tt).square() * s0 * s0 + sde->marginal_variance(tt);
    };
    const at::Tensor dvar = (variance_at(h) - variance_at(-h)) / (2 * h);
    EXPECT_TRUE(at::allclose(2.0 * k * var, dvar, 1e-6, 1e-9)) << sde->name();
  }
}

TEST(DiscreteChain, SmldSigmasSitOnTheContinuousSchedule) {
  const VeSde sde(0.01, 50.0, 1.0, 1000);
  const at::Tensor index = at::arange(1000, at::kLong);
  const at::Tensor t = sde.grid().time_of(index);
  EXPECT_TRUE(at::allclose(sde.discrete_sigmas(), sde.marginal_std(t), 1e-12, 0));
  EXPECT_TRUE(at::equal(sde.grid().index_of(t), index));
  const DiscreteStep first = sde.discretize(at::zeros({1, 2}), at::zeros({1}, at::kDouble));
  EXPECT_NEAR(first.G.item<double>(), 0.01, 1e-15);  // σ_{−1} = 0
  const DiscreteStep last = sde.discretize(at::zeros({1, 2}), at::ones({1}, at::kDouble));
  EXPECT_NEAR(last.G.item<double>(), std::sqrt(50.0 * 50.0 - std::pow(sde.discrete_sigmas()[998].item<double>(), 2)), 1e-9);
}

TEST(DiscreteChain, DdpmChainApproachesTheVpMarginal) {
  const VpSde sde(0.1, 20.0, 1.0, 1000);
  const auto& chain = sde.chain();
  EXPECT_NEAR(chain.betas[0].item<double>(), 0.1 / 1000, 1e-15);
  EXPECT_NEAR(chain.betas[999].item<double>(), 20.0 / 1000, 1e-15);
  // Π(1 − β_i) ≈ exp(−B(t_i)) up to O(1/N).
  const at::Tensor t = sde.grid().time_of(at::arange(1000, at::kLong));
  EXPECT_TRUE(at::allclose(chain.alphas_cumprod, sde.mean_coeff(t).square(), 0.02, 1e-3));
  const at::Tensor x = at::ones({1, 1}, at::kDouble);
  const DiscreteStep step = sde.discretize(x, at::full({1}, 0.5, at::kDouble));
  const int64_t i = sde.grid().index_of(at::full({}, 0.5)).item<int64_t>();
  EXPECT_NEAR(step.f.item<double>(), std::sqrt(chain.alphas[i].item<double>()) - 1.0, 1e-15);
  EXPECT_NEAR(step.G.item<double>(), std::sqrt(chain.betas[i].item<double>()), 1e-15);
}

TEST(DiscreteChain, EulerDiscretizationForSubVp) {
  const SubVpSde sde(0.1, 20.0, 1.0, 1000);
  const at::Tensor x = at::full({1, 1}, 2.0, at::kDouble);
  const at::Tensor t = at::full({1}, 0.4, at::kDouble);
  const DiscreteStep step = sde.discretize(x, t);
  EXPECT_NEAR(step.f.item<double>(), sde.drift(x, t).item<double>() / 1000.0, 1e-15);
  EXPECT_NEAR(step.G.item<double>(), sde.diffusion(t).item<double>() * std::sqrt(1e-3), 1e-15);
}

// One interval step maps the marginal at t − dt exactly onto the marginal at t:
// mean a(t−dt)·x0 + f → a(t)·x0 and variance (1 + f/x)²σ²(t−dt) + G² → σ²(t).
TEST(DiscreteChain, IntervalStepsKeepVeAndVpMarginalsExact) {
  const std::vector<std::shared_ptr<const Sde>> sdes = {std::make_shared<VeSde>(0.01, 50.0),
                                                        std::make_shared<VpSde>(0.1, 20.0)};
  const at::Tensor x0 = at::full({3, 1}, 1.7, at::kDouble);
  const at::Tensor t = at::tensor({0.05, 0.5, 1.0}, at::kDouble);
  for (const auto& sde : sdes) {
    for (double dt : {1e-3, 0.02}) {
      const at::Tensor earlier = t - dt;
      const at::Tensor mean_before = sde->mean_coeff(earlier).unsqueeze(1) * x0;
      const DiscreteStep step = sde->discretize_interval(mean_before, t, dt);
      const at::Tensor scale = 1.0 + step.f / mean_before;  // the step is linear in x
      EXPECT_TRUE(at::allclose(mean_before + step.f, sde->mean_coeff(t).unsqueeze(1) * x0, 1e-10, 1e-12)) << sde->name();
      const at::Tensor variance = scale.squeeze(1).square() * sde->marginal_std(earlier).square() + step.G.square();
      EXPECT_TRUE(at::allclose(variance, sde->marginal_std(t).square(), 1e-10, 1e-12)) << sde->name() << " dt " << dt;
    }
  }
}

TEST(Sde, RejectsBadConstants) {
  EXPECT_ANY_THROW(VeSde(0.0, 1.0));
  EXPECT_ANY_THROW(VeSde(2.0, 1.0));
  EXPECT_ANY_THROW(VpSde(-0.1, 20.0));
  EXPECT_ANY_THROW(SubVpSde(1.0, 0.5));
}

}  // namespace
}  // namespace scorch::models
