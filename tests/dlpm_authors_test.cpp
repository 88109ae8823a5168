// scorch against the DLPM authors' code (darioShar/DLPM), through fixtures
// written by scripts/crosscheck/dlpm_grid.py:
//   - residual_mlp.h5: their MLPModel's weights (by their names), an input
//     batch, times and their output; configs/dlpm_grid.yaml's model must load
//     the weights by name and give the same output;
//   - grid_authors_code.json: their 2-D experiment run over 10 seeds and 4 α;
//     its data (means, weights, the real points' mode shares) must be ours.
#include "common/config.h"
#include "data/tensor_archive.h"
#include "launch/config_schema.h"
#include "models/model_config.h"
#include "models/module_state.h"
#include "models/residual_mlp_score_model.h"
#include "models/score_model.h"
#include "models/score_model_config.h"
#include "models/toy_distributions.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <fstream>
#include <string>

namespace scorch::models {
namespace {

std::string fixture(const std::string& name) { return std::string(SCORCH_SOURCE_DIR) + "/tests/fixtures/dlpm/" + name; }

Config grid_config(const std::vector<std::string>& overrides = {}) {
  return Config::load_file(launch::full_schema(), std::string(SCORCH_SOURCE_DIR) + "/configs/dlpm_grid.yaml", overrides);
}

TEST(DlpmAuthors, ResidualMlpLoadsTheirWeightsByNameAndMatchesTheirOutput) {
  const ModelBundle bundle = make_model_bundle(grid_config());
  auto& network = dynamic_cast<ResidualMlpScoreModel&>(*bundle.model);
  const auto tensors = data::read_tensor_group(fixture("residual_mlp.h5"), "parameters");
  const ParameterMismatch mismatch = copy_parameters(network, tensors);
  ASSERT_TRUE(mismatch.empty()) << mismatch.describe();
  std::int64_t count = 0;
  for (const auto& [name, tensor] : tensors) count += tensor.numel();
  EXPECT_EQ(network.parameter_count(), count);
  network.eval();
  torch::NoGradGuard no_grad;
  const at::Tensor x = data::read_tensor(fixture("residual_mlp.h5"), "input");
  const at::Tensor tau = data::read_tensor(fixture("residual_mlp.h5"), "label").to(at::kDouble);
  const at::Tensor expected = data::read_tensor(fixture("residual_mlp.h5"), "output");
  // Through the model's preconditioning, as training and sampling call it:
  // the DLPM label is τ = t/n and the output is ε̂ as it is.
  const at::Tensor actual = network.score(x, tau);
  ASSERT_EQ(actual.sizes(), expected.sizes());
  EXPECT_TRUE(at::allclose(actual, expected, 1e-5, 1e-5)) << (actual - expected).abs().max().item<double>();
  // Without the skips or the norms it is another function: the options are read.
  const ModelBundle plain = make_model_bundle(grid_config({"model.residual_mlp.skip=false"}));
  ASSERT_TRUE(copy_parameters(*plain.model, tensors).empty());
  plain.model->eval();
  EXPECT_FALSE(at::allclose(plain.model->score(x, tau), expected, 1e-3, 1e-3));
  const ModelBundle no_norm = make_model_bundle(grid_config({"model.residual_mlp.layer_norm=false"}));
  EXPECT_FALSE(copy_parameters(*no_norm.model, tensors).empty());
}

TEST(DlpmAuthors, TheirGridDataIsOurs) {
  std::ifstream in(fixture("grid_authors_code.json"));
  const nlohmann::json authors = nlohmann::json::parse(in);
  const ToySpec spec = toy_spec_from(grid_config()).value();
  const ModeLayout layout = mode_layout(spec);
  const auto means = authors.at("grid_means").get<std::vector<std::vector<double>>>();
  const auto weights = authors.at("weights").get<std::vector<double>>();
  ASSERT_EQ(means.size(), 9u);
  for (std::size_t k = 0; k < means.size(); ++k) {
    EXPECT_DOUBLE_EQ(layout.centers[k][0].item<double>(), means[k][0]) << k;
    EXPECT_DOUBLE_EQ(layout.centers[k][1].item<double>(), means[k][1]) << k;
    EXPECT_DOUBLE_EQ(layout.weights[k].item<double>(), weights[k]) << k;
  }
  EXPECT_DOUBLE_EQ(layout.std, 0.1);
  EXPECT_EQ(spec.count, 32000);
  // Their evaluation's 15 000 real points (a multinomial draw) hold each
  // mode's weight to within 4 binomial standard errors, over all 40 runs.
  for (const auto& [alpha, result] : authors.at("alphas").items()) {
    for (const auto& run : result.at("runs")) {
      const auto shares = run.at("real_mode_shares").get<std::vector<double>>();
      const double n = run.at("n_real").get<double>();
      for (std::size_t k = 0; k < shares.size(); ++k) {
        EXPECT_NEAR(shares[k], weights[k], 4.0 * std::sqrt(weights[k] * (1.0 - weights[k]) / n)) << alpha << " " << k;
      }
    }
  }
}

}  // namespace
}  // namespace scorch::models
