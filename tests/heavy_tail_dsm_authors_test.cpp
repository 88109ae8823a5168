// One training step of the heavy-tailed DSM authors' 2-D notebook
// (jacobdeasy/heavy-tail-dsm, notebooks/example_2d.ipynb), replayed through
// scorch's configs for it. The fixture, written by
// scripts/crosscheck/heavy_tail_dsm_two_modes.py --loss-fixture, holds the
// notebook's batch, the σ and noise its get_noise drew, its network weights,
// its weighted_mse_loss, the gradients and the weights after its amsgrad Adam
// step, for DSM (β = 2) and HTDSM (β = 1). Same inputs, same step: our loss
// (objective.sigma_weight_power 1, model.mlp.conditional false, the
// generalised-normal kernel score) and our Adam must give their numbers.
#include "common/config.h"
#include "data/tensor_archive.h"
#include "launch/config_schema.h"
#include "models/model_config.h"
#include "models/module_state.h"
#include "models/score_model.h"
#include "models/score_model_config.h"
#include "trainer/adam.h"
#include "trainer/noise_level_dsm_loss.h"
#include "trainer/objective_config.h"
#include "trainer/training_config.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>

namespace scorch::trainer {
namespace {

const std::string kFixture = std::string(SCORCH_SOURCE_DIR) + "/tests/fixtures/heavy_tail_dsm/notebook_training_step.h5";

struct Cell {
  const char* group;
  const char* config;
};

class NotebookTrainingStep : public ::testing::TestWithParam<Cell> {};

TEST_P(NotebookTrainingStep, OurLossGradientsAndAdamStepAreTheNotebooks) {
  const Cell cell = GetParam();
  const std::string group = std::string(cell.group) + "/";
  const Config config =
      Config::load_file(launch::full_schema(), std::string(SCORCH_SOURCE_DIR) + "/configs/" + cell.config + ".yaml");
  const models::ModelBundle bundle = models::make_model_bundle(config);
  models::ScoreModel& model = *bundle.model;
  models::load_parameters(model, data::read_tensor_group(kFixture, group + "before"), "the notebook's weights");
  const std::unique_ptr<Objective> objective = make_objective(config, bundle.process);
  const auto& loss = dynamic_cast<const NoiseLevelDsmLoss&>(*objective);

  const at::Tensor x = data::read_tensor(kFixture, group + "x");
  const at::Tensor sigma = data::read_tensor(kFixture, group + "sigma").to(at::kDouble);
  const at::Tensor noise = data::read_tensor(kFixture, group + "noise");
  // Our draw is a level index and the standard noise ξ; the notebook's noise is σ ξ.
  const at::Tensor level_index = at::argmin((sigma.unsqueeze(1) - loss.levels().unsqueeze(0)).abs(), 1);
  ASSERT_TRUE(at::equal(loss.levels().index({level_index}), sigma)) << "the notebook's σ are not our levels";
  const NoiseLevelDsmLoss::Draw draw{level_index, noise / sigma.unsqueeze(1).to(noise.scalar_type())};
  const models::ScoreFunction score = [&](const at::Tensor& y, const at::Tensor& level) { return model.score(y, level); };
  const at::Tensor value = loss.per_example_loss(score, x, draw).mean();
  const double expected = data::read_tensor(kFixture, group + "loss").item<double>();
  EXPECT_NEAR(value.item<double>(), expected, 1e-5 * expected);

  model.zero_grad();
  value.backward();
  const auto grads = data::read_tensor_group(kFixture, group + "grads");
  std::vector<std::pair<std::string, at::Tensor>> parameters;
  for (const auto& item : model.named_parameters()) {
    const at::Tensor& theirs = grads.at(item.key());
    EXPECT_TRUE(at::allclose(item.value().grad(), theirs, 1e-4, 1e-6))
        << item.key() << ": " << (item.value().grad() - theirs).abs().max().item<double>();
    parameters.emplace_back(item.key(), item.value());
  }
  const TrainingSettings settings = training_settings_from(config);
  Adam adam(parameters, settings.adam);
  adam.step(settings.lr);
  const auto after = data::read_tensor_group(kFixture, group + "after");
  for (const auto& [name, parameter] : parameters) {
    // One step moves each weight by about lr = 1e-3; agreeing to 1e-6 checks its size and sign.
    EXPECT_TRUE(at::allclose(parameter, after.at(name), 0.0, 1e-6))
        << name << ": " << (parameter - after.at(name)).abs().max().item<double>();
  }
}

INSTANTIATE_TEST_SUITE_P(HeavyTailDsmAuthors, NotebookTrainingStep,
                         ::testing::Values(Cell{"beta_2", "toy_two_modes_dsm"}, Cell{"beta_1", "toy_two_modes_gn"}),
                         [](const auto& info) { return std::string(info.param.group); });

}  // namespace
}  // namespace scorch::trainer
