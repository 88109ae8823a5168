#include "common/random_stream.h"
#include "common/user_error.h"
#include "evaluation/sampling/pc_sampler.h"
#include "models/analytic_gmm.h"
#include "models/linear_beta_sde.h"
#include "models/ve_sde.h"
#include "sde_test_support.h"
#include "test_support.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

namespace scorch::evaluation {
namespace {

using models::AnalyticGmmModel;
using models::GaussianMixture;

using testing::all_sdes;

TEST(PcSampler, ReproducesTwoDimensionalGaussianMoments) {
  const at::Tensor mean = at::tensor({1.0, -2.0}, at::kDouble);
  const at::Tensor covariance = torch::tensor({{0.5, 0.2}, {0.2, 0.3}}, at::kDouble);
  for (const auto& sde : all_sdes()) {
    AnalyticGmmModel model(GaussianMixture{at::ones({1}, at::kDouble), mean.unsqueeze(0), covariance.unsqueeze(0)}, sde);
    for (const auto& [predictor, corrector] : {std::pair{Predictor::reverse_diffusion, Corrector::langevin},
                                               std::pair{Predictor::euler_maruyama, Corrector::none}}) {
      PcSettings settings;
      settings.predictor = predictor;
      settings.corrector = corrector;
      settings.steps = 500;
      settings.eps = sde->variance_exploding() ? 1e-5 : 1e-3;
      const at::Tensor samples = pc_sample(*sde, model.as_function(), settings, {2}, 7, index_range(0, 3000));
      testing::expect_gaussian_moments(samples, mean, covariance, 5.0, sde->name() + (corrector == Corrector::none ? " EM" : " PC"));
    }
  }
}

TEST(PcSampler, AncestralSamplingReproducesGaussianMomentsForVeAndVp) {
  const at::Tensor mean = at::tensor({1.0, -2.0}, at::kDouble);
  const at::Tensor covariance = torch::tensor({{0.5, 0.2}, {0.2, 0.3}}, at::kDouble);
  for (const auto& sde : all_sdes()) {
    AnalyticGmmModel model(GaussianMixture{at::ones({1}, at::kDouble), mean.unsqueeze(0), covariance.unsqueeze(0)}, sde);
    PcSettings settings;
    settings.predictor = Predictor::ancestral;
    settings.corrector = Corrector::none;
    settings.steps = 500;
    if (sde->name() == "subvp") {
      EXPECT_THROW(pc_sample(*sde, model.as_function(), settings, {2}, 5, index_range(0, 2)), UserError);
      continue;
    }
    const at::Tensor samples = pc_sample(*sde, model.as_function(), settings, {2}, 5, index_range(0, 3000));
    testing::expect_gaussian_moments(samples, mean, covariance, 5.0, sde->name() + " ancestral");
  }
}

TEST(PcSampler, ReproducesOneDimensionalGaussianMoments) {
  const auto sde = std::make_shared<models::VpSde>(0.1, 20.0);
  AnalyticGmmModel model(GaussianMixture{at::ones({1}, at::kDouble), torch::tensor({{3.0}}, at::kDouble),
                                         torch::tensor({{{0.25}}}, at::kDouble)},
                         sde);
  PcSettings settings;
  settings.steps = 500;
  const at::Tensor samples = pc_sample(*sde, model.as_function(), settings, {1}, 3, index_range(0, 4000));
  testing::expect_gaussian_moments(samples, at::tensor({3.0}, at::kDouble), torch::tensor({{0.25}}, at::kDouble), 5.0, "1-D VP PC");
}

TEST(PcSampler, PredictorOnlySamplesDependOnlyOnSeedAndImageIndex) {
  const auto sde = std::make_shared<models::VeSde>(0.01, 20.0);
  AnalyticGmmModel model(GaussianMixture{at::ones({1}, at::kDouble), torch::tensor({{0.0, 1.0}}, at::kDouble),
                                         torch::tensor({{{1.0, 0.0}, {0.0, 2.0}}}, at::kDouble)},
                         sde);
  PcSettings settings;
  settings.steps = 50;
  settings.corrector = Corrector::none;
  const at::Tensor whole = pc_sample(*sde, model.as_function(), settings, {2}, 11, index_range(0, 10));
  const at::Tensor first = pc_sample(*sde, model.as_function(), settings, {2}, 11, index_range(0, 4));
  const at::Tensor rest = pc_sample(*sde, model.as_function(), settings, {2}, 11, index_range(4, 6));
  EXPECT_TRUE(at::equal(whole, at::cat({first, rest})));
  const at::Tensor other_seed = pc_sample(*sde, model.as_function(), settings, {2}, 12, index_range(0, 10));
  EXPECT_FALSE(at::allclose(whole, other_seed));
  // Without the final denoising step the last noise is still in the samples.
  settings.denoise = false;
  const at::Tensor noisy = pc_sample(*sde, model.as_function(), settings, {2}, 11, index_range(0, 10));
  EXPECT_FALSE(at::equal(noisy, whole));
  EXPECT_THROW(parse_predictor("heun"), UserError);
  // With the corrector, the same batch gives the same samples.
  settings.corrector = Corrector::langevin;
  EXPECT_TRUE(at::equal(pc_sample(*sde, model.as_function(), settings, {2}, 11, index_range(0, 10)),
                        pc_sample(*sde, model.as_function(), settings, {2}, 11, index_range(0, 10))));
}

}  // namespace
}  // namespace scorch::evaluation
