#include "common/config.h"
#include "common/random_stream.h"
#include "common/user_error.h"
#include "launch/config_schema.h"
#include "models/analytic_gmm.h"
#include "models/linear_beta_sde.h"
#include "models/mlp_score_model.h"
#include "models/network_preconditioning.h"
#include "models/score_model_config.h"
#include "models/ve_sde.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

namespace scorch::models {
namespace {

GaussianMixture two_mode_mixture() {
  // Unequal weights and a full, correlated covariance in one component.
  return {at::tensor({0.3, 0.7}, at::kDouble), torch::tensor({{1.0, -0.5}, {-2.0, 1.5}}, at::kDouble),
          torch::tensor({{{0.5, 0.2}, {0.2, 0.3}}, {{0.1, 0.0}, {0.0, 0.4}}}, at::kDouble)};
}

at::Tensor points() {
  at::Generator generator = make_generator({4, RandomPurpose::test, 0}, 0);
  return 2.0 * at::randn({6, 2}, generator, at::kDouble);
}

// Direct log-density of the perturbed mixture: Cholesky per component, no eigendecomposition.
at::Tensor direct_log_density(const GaussianMixture& m, const at::Tensor& x, double a, double s) {
  std::vector<at::Tensor> terms;
  for (int64_t k = 0; k < m.weights.size(0); ++k) {
    const at::Tensor cov = a * a * m.covariances[k] + s * s * at::eye(2, at::kDouble);
    const at::Tensor L = at::linalg_cholesky(cov);
    const at::Tensor r = (x - a * m.means[k]).unsqueeze(2);
    const at::Tensor y = at::linalg_solve_triangular(L, r, /*upper=*/false).squeeze(2);
    const at::Tensor log_det = 2.0 * at::log(at::diagonal(L)).sum();
    terms.push_back(std::log(m.weights[k].item<double>()) - 0.5 * y.square().sum(1) - 0.5 * log_det - std::log(2 * M_PI));
  }
  return at::logsumexp(at::stack(terms, 1), 1);
}

TEST(AnalyticGmm, ScoreIsGradientOfPerturbedLogDensityForEverySde) {
  const std::vector<std::shared_ptr<const Sde>> sdes = {std::make_shared<VeSde>(0.01, 50.0),
                                                        std::make_shared<VpSde>(0.1, 20.0),
                                                        std::make_shared<SubVpSde>(0.1, 20.0)};
  for (const auto& sde : sdes) {
    AnalyticGmmModel model(two_mode_mixture(), sde);
    for (double t : {1e-3, 0.05, 0.3, 0.7, 1.0}) {
      const at::Tensor time = at::full({6}, t, at::kDouble);
      at::Tensor x = points().requires_grad_(true);
      const at::Tensor log_p = model.log_density(x, time);
      const at::Tensor grad = torch::autograd::grad({log_p.sum()}, {x})[0];
      EXPECT_TRUE(at::allclose(model.score(x.detach(), time), grad, 1e-8, 1e-10)) << sde->name() << " t=" << t;
      const double a = sde->mean_coeff(at::full({}, t, at::kDouble)).item<double>();
      const double s = sde->marginal_std(at::full({}, t, at::kDouble)).item<double>();
      EXPECT_TRUE(at::allclose(log_p.detach(), direct_log_density(model.mixture(), x.detach(), a, s), 1e-10, 1e-10))
          << sde->name() << " t=" << t;
    }
  }
}

TEST(AnalyticGmm, NoiseLevelConditioningAndStableNoiseScale) {
  AnalyticGmmModel gaussian(two_mode_mixture(), 1.0);
  AnalyticGmmModel stable(two_mode_mixture(), std::sqrt(2.0));
  const at::Tensor sigma = at::tensor({0.1, 0.5, 1.0, 2.0, 5.0, 0.01}, at::kDouble);
  at::Tensor x = points().requires_grad_(true);
  const at::Tensor grad = torch::autograd::grad({gaussian.log_density(x, sigma).sum()}, {x})[0];
  EXPECT_TRUE(at::allclose(gaussian.score(x.detach(), sigma), grad, 1e-8, 1e-10));
  // α = 2 stable noise at level σ is Gaussian noise at level √2 σ.
  EXPECT_TRUE(at::allclose(stable.score(x.detach(), sigma), gaussian.score(x.detach(), std::sqrt(2.0) * sigma), 1e-12, 1e-12));
  EXPECT_EQ(gaussian.conditioning(), Conditioning::noise_level);
  EXPECT_EQ(gaussian.parameter_count(), 0);
}

TEST(AnalyticGmm, SingleGaussianHasTheLinearScore) {
  const auto sde = std::make_shared<VpSde>(0.1, 20.0);
  AnalyticGmmModel model({at::ones({1}, at::kDouble), torch::tensor({{0.4, 0.4}}, at::kDouble),
                          0.25 * at::eye(2, at::kDouble).unsqueeze(0)},
                         sde);
  const at::Tensor t = at::tensor({0.2, 0.9}, at::kDouble);
  const at::Tensor x = torch::tensor({{1.0, -1.0}, {0.0, 2.0}}, at::kDouble);
  const at::Tensor a = sde->mean_coeff(t).unsqueeze(1);
  const at::Tensor var = a.square() * 0.25 + sde->marginal_variance(t).unsqueeze(1);
  EXPECT_TRUE(at::allclose(model.score(x, t), -(x - a * 0.4) / var, 1e-12, 1e-12));
  EXPECT_EQ(model.score(x.to(at::kFloat), t).scalar_type(), at::kFloat);
}

TEST(AnalyticGmm, AcceptsLargeRankDeficientCovariance) {
  const at::Tensor v = at::tensor({200.0, 70.0, 30.0}, at::kDouble);
  GaussianMixture mixture{at::ones({1}, at::kDouble), at::zeros({1, 3}, at::kDouble), at::outer(v, v).unsqueeze(0)};
  EXPECT_NO_THROW(AnalyticGmmModel(mixture, 1.0));
}

TEST(AnalyticGmm, RejectsBadMixtures) {
  auto bad = two_mode_mixture();
  bad.weights = at::tensor({0.5, -0.5}, at::kDouble);
  EXPECT_THROW(AnalyticGmmModel(bad, 1.0), UserError);
  bad = two_mode_mixture();
  bad.covariances = bad.covariances.slice(1, 0, 1);
  EXPECT_THROW(AnalyticGmmModel(bad, 1.0), UserError);
  bad = two_mode_mixture();
  bad.covariances[0][0][0] = -1.0;
  EXPECT_THROW(AnalyticGmmModel(bad, 1.0), UserError);
}

TEST(MlpScoreModel, ShapesGradientsAndStableParameterNames) {
  const auto sde = std::make_shared<VpSde>(0.1, 20.0);
  MlpScoreModel model({2}, {16, 16}, Activation::relu, mlp_preconditioning(DiffusionProcess(sde)));
  std::set<std::string> names;
  for (const auto& item : model.named_parameters()) names.insert(item.key());
  EXPECT_EQ(names, (std::set<std::string>{"network.0.weight", "network.0.bias", "network.2.weight", "network.2.bias",
                                          "network.4.weight", "network.4.bias"}));
  EXPECT_EQ(model.parameter_count(), (3 * 16 + 16) + (16 * 16 + 16) + (16 * 2 + 2));
  const at::Tensor x = at::randn({5, 2});
  const at::Tensor t = at::rand({5}, at::kDouble) * 0.9 + 0.05;
  const at::Tensor score = model.score(x, t);
  EXPECT_EQ(score.sizes(), x.sizes());
  score.square().sum().backward();
  for (const auto& parameter : model.parameters()) {
    ASSERT_TRUE(parameter.grad().defined());
    EXPECT_GT(parameter.grad().abs().sum().item<double>(), 0.0);
  }
}

// score = out/σ: halving σ at fixed network input doubles the score. With noise
// levels the network also sees log σ, so compare through the SDE variant where
// the input (x, t) is fixed and σ_t is known.
TEST(MlpScoreModel, OutputIsScaledByTheKernelStd) {
  const auto vp = std::make_shared<VpSde>(0.1, 20.0);
  const auto subvp = std::make_shared<SubVpSde>(0.1, 20.0);
  torch::manual_seed(0);
  MlpScoreModel a({1, 2}, {8}, Activation::swish, mlp_preconditioning(DiffusionProcess(vp)));
  torch::manual_seed(0);
  MlpScoreModel b({1, 2}, {8}, Activation::swish, mlp_preconditioning(DiffusionProcess(subvp)));
  const at::Tensor x = at::randn({3, 1, 2});
  const at::Tensor t = at::tensor({0.1, 0.4, 0.8}, at::kDouble);
  const at::Tensor ratio = (a.score(x, t) / b.score(x, t)).to(at::kDouble);
  const at::Tensor expected = (subvp->marginal_std(t) / vp->marginal_std(t)).view({3, 1, 1}).expand({3, 1, 2});
  EXPECT_TRUE(at::allclose(ratio, expected, 1e-5, 1e-6));
  EXPECT_EQ(a.score(x, t).sizes(), x.sizes());
}

Config config_with(const std::vector<std::string>& overrides) {
  return Config::load_string(launch::full_schema(), "", overrides);
}

// model.mlp.conditional false: the heavy-tailed DSM notebook's 2-16-16-2 MLP.
// It reads x alone, so the score is one field for every level, and its output
// is the score unscaled.
TEST(ScoreModelConfig, UnconditionalMlpIsTheNotebooksNetwork) {
  const Config config = config_with({"objective.kind=ncsn", "sigmas.max=1", "sigmas.min=0.25", "sigmas.count=2",
                                     "model.input_shape=[2]", "model.mlp.hidden=[16, 16]",
                                     "model.mlp.activation=relu", "model.mlp.conditional=false"});
  const ModelBundle bundle = make_model_bundle(config);
  ScoreModel& model = *bundle.model;
  EXPECT_EQ(model.parameter_count(), (2 * 16 + 16) + (16 * 16 + 16) + (16 * 2 + 2));
  EXPECT_NE(model.parameterisation().find("input x only"), std::string::npos) << model.parameterisation();
  torch::NoGradGuard no_grad;
  const at::Tensor x = at::randn({4, 2});
  const at::Tensor at_one = model.score(x, at::full({4}, 1.0, at::kDouble));
  EXPECT_TRUE(at::equal(at_one, model.score(x, at::full({4}, 0.25, at::kDouble))));
  auto& network = dynamic_cast<MlpScoreModel&>(model);
  EXPECT_TRUE(at::equal(at_one, network.forward(x, at::zeros({4}, at::kDouble))));
  // The conditional default reads log σ: its network outputs σ s differ between levels.
  const Config conditional_config = config_with({"objective.kind=ncsn", "sigmas.max=1", "sigmas.min=0.25",
                                                 "sigmas.count=2", "model.input_shape=[2]"});
  const ModelBundle conditional = make_model_bundle(conditional_config);
  EXPECT_FALSE(at::allclose(conditional.model->score(x, at::full({4}, 1.0, at::kDouble)),
                            conditional.model->score(x, at::full({4}, 0.25, at::kDouble)) * 0.25));
}

TEST(ScoreModelConfig, CovarianceFormsAgreeAndBadShapesFail) {
  const std::vector<std::string> base = {"model.name=analytic_gmm", "model.gmm.means=[[1, 0], [0, 2]]",
                                         "model.gmm.weights=[1, 3]", "objective.kind=ncsn"};
  auto with = [&](const std::string& covariance) {
    auto overrides = base;
    overrides.push_back("model.gmm.covariances=" + covariance);
    return make_model_bundle(config_with(overrides)).model;
  };
  const at::Tensor x = points();
  const at::Tensor sigma = at::full({6}, 0.3, at::kDouble);
  const at::Tensor iso = with("[0.5, 0.5]")->score(x, sigma);
  EXPECT_TRUE(at::allclose(iso, with("[[0.5, 0.5], [0.5, 0.5]]")->score(x, sigma)));
  EXPECT_TRUE(at::allclose(iso, with("[[[0.5, 0], [0, 0.5]], [[0.5, 0], [0, 0.5]]]")->score(x, sigma)));
  EXPECT_THROW(with("[0.5, 0.5, 0.5]"), UserError);
  auto gn = base;
  gn.push_back("noise.family=generalized_normal");
  gn.push_back("noise.beta=1.5");
  EXPECT_THROW(make_model_bundle(config_with(gn)).model, UserError);
  EXPECT_THROW(config_with({"model.gmm.means=[[1, 0], [2]]"}), UserError);  // ragged
  auto empty = base;
  empty.push_back("model.gmm.weights=[]");
  EXPECT_THROW(make_model_bundle(config_with(empty)).model, UserError);
}

TEST(ScoreModelConfig, DlpmModelsPredictNoiseFromChainTime) {
  const auto model =
      make_model_bundle(config_with({"objective.kind=dlpm", "noise.family=alpha_stable", "model.mlp.hidden=[8]"})).model;
  EXPECT_EQ(model->conditioning(), Conditioning::chain_time);
  EXPECT_NE(model->parameterisation().find("noise prediction"), std::string::npos);
  EXPECT_THROW(make_model_bundle(config_with({"objective.kind=dlpm", "model.name=ncsnv2", "model.input_shape=[1, 8, 8]"})),
               UserError);
  // With the chain's own noise, the refusal is ncsnv2's.
  try {
    make_model_bundle(config_with(
        {"objective.kind=dlpm", "noise.family=alpha_stable", "model.name=ncsnv2", "model.input_shape=[1, 8, 8]"}));
    ADD_FAILURE() << "ncsnv2 accepted a DLPM objective";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("needs model.name mlp or ncsnpp"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace scorch::models
