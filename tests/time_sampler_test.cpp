#include "models/linear_beta_sde.h"
#include "models/ve_sde.h"
#include "test_support.h"
#include "trainer/time_sampler.h"

#include <gtest/gtest.h>

#include <memory>

namespace scorch::trainer {
namespace {

using models::Sde;

struct Case {
  std::shared_ptr<Sde> sde;
  double eps;
};

std::vector<Case> cases() {
  return {{std::make_shared<models::VeSde>(0.01, 50.0), 1e-5},
          {std::make_shared<models::VpSde>(0.1, 20.0), 1e-5},
          {std::make_shared<models::SubVpSde>(0.1, 20.0), 1e-5},
          {std::make_shared<models::SubVpSde>(0.1, 20.0), 1e-2}};
}

at::Tensor grid_u() { return at::linspace(0.0, 1.0, 2001, at::kDouble); }

TEST(ImportanceSampler, ClosedFormInverseAgreesWithBisection) {
  for (const auto& c : cases()) {
    const LikelihoodImportanceSampler closed(*c.sde, c.eps);
    const LikelihoodImportanceSampler bisection(*c.sde, c.eps, LikelihoodImportanceSampler::Inversion::bisection);
    const double max_diff = (closed.from_uniform(grid_u()) - bisection.from_uniform(grid_u())).abs().max().item<double>();
    EXPECT_LT(max_diff, 1e-9) << c.sde->name();
  }
}

TEST(ImportanceSampler, CdfOfInverseIsIdentity) {
  for (const auto& c : cases()) {
    const LikelihoodImportanceSampler sampler(*c.sde, c.eps);
    const at::Tensor u = grid_u();
    const at::Tensor t = sampler.from_uniform(u);
    EXPECT_LT((sampler.cdf(t) - u).abs().max().item<double>(), 1e-9) << c.sde->name();
    EXPECT_NEAR(t[0].item<double>(), c.eps, 1e-12);
    EXPECT_NEAR(t[-1].item<double>(), 1.0, 1e-12);
    EXPECT_TRUE((t.diff() >= 0).all().item<bool>());
  }
}

// Z and the density against quadrature of g²/σ²: independent of the closed forms.
TEST(ImportanceSampler, NormalizerAndDensityMatchQuadrature) {
  for (const auto& c : cases()) {
    const LikelihoodImportanceSampler sampler(*c.sde, c.eps);
    const Sde& sde = *c.sde;
    // Integrate in log t: the integrand ~ 1/t near 0 for VP/subVP.
    const double Z = testing::simpson(
        [&](const at::Tensor& s) {
          const at::Tensor t = at::exp(s);
          return sde.diffusion_squared(t) / sde.marginal_variance(t) * t;
        },
        std::log(c.eps), 0.0);
    EXPECT_NEAR(sampler.normalizer(), Z, 1e-8 * Z) << sde.name();
    const double mass = testing::simpson([&](const at::Tensor& s) { return sampler.density(at::exp(s)) * at::exp(s); },
                                         std::log(c.eps), 0.0);
    EXPECT_NEAR(mass, 1.0, 1e-8) << sde.name();
  }
}

// Z · E_p[σ_t² h(t)] = ∫ g² h dt: the IS estimator of a likelihood-weighted integral.
TEST(ImportanceSampler, EstimatorMatchesQuadratureOfLikelihoodWeightedIntegral) {
  auto h = [](const at::Tensor& t) { return at::cos(3.0 * t) + 2.0; };
  for (const auto& c : cases()) {
    const LikelihoodImportanceSampler sampler(*c.sde, c.eps);
    const Sde& sde = *c.sde;
    const double integral = testing::simpson(
        [&](const at::Tensor& s) {
          const at::Tensor t = at::exp(s);
          return sde.diffusion_squared(t) * h(t) * t;
        },
        std::log(c.eps), 0.0);
    // Random draws through the per-example streams.
    const at::Tensor t = sampler.sample(17, 0, index_range(0, 200000));
    const at::Tensor terms = sampler.normalizer() * sde.marginal_variance(t) * h(t);
    EXPECT_NEAR(terms.mean().item<double>(), integral, 5.0 * testing::standard_error(terms)) << sde.name();
    // Stratified u gives the midpoint rule in u: nearly exact.
    const int n = 200000;
    const at::Tensor u = (at::arange(n, at::kDouble) + 0.5) / n;
    const at::Tensor ts = sampler.from_uniform(u);
    const double stratified = (sampler.normalizer() * sde.marginal_variance(ts) * h(ts)).mean().item<double>();
    EXPECT_NEAR(stratified, integral, 1e-4 * integral) << sde.name();
  }
}

TEST(ImportanceSampler, VeProposalIsUniform) {
  const models::VeSde sde(0.01, 50.0);
  const LikelihoodImportanceSampler sampler(sde, 1e-5);
  const UniformTimeSampler uniform(1e-5, 1.0);
  EXPECT_TRUE(at::allclose(sampler.from_uniform(grid_u()), uniform.from_uniform(grid_u()), 1e-12, 1e-12));
  EXPECT_NEAR(sampler.normalizer(), 2.0 * std::log(5000.0) * (1.0 - 1e-5), 1e-12);
}

TEST(TimeSampler, DrawsDependOnlyOnSeedStepAndIndex) {
  const UniformTimeSampler sampler(1e-5, 1.0);
  const at::Tensor all = sampler.sample(3, 10, index_range(0, 8));
  const at::Tensor part = sampler.sample(3, 10, {5, 2});
  EXPECT_TRUE(at::equal(part, at::stack({all[5], all[2]})));
  EXPECT_FALSE(at::equal(sampler.sample(3, 11, index_range(0, 8)), all));
  EXPECT_FALSE(at::equal(sampler.sample(4, 10, index_range(0, 8)), all));
  EXPECT_TRUE((all >= 1e-5).all().item<bool>() && (all <= 1.0).all().item<bool>());
}

TEST(TimeSampler, RejectsBadHorizon) {
  EXPECT_ANY_THROW(UniformTimeSampler(0.0, 1.0));
  EXPECT_ANY_THROW(UniformTimeSampler(1.0, 1.0));
}

}  // namespace
}  // namespace scorch::trainer
