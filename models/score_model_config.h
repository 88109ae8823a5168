#pragma once
// Config keys owned by the score models (model.*) and the model factory.
#include "common/config_fwd.h"
#include "models/diffusion_process.h"

#include <memory>

namespace scorch::models {

class ScoreModel;

void declare_score_model_config(ConfigSchema& schema);

// The model named by model.name for `process`, with the network's
// preconditioning for that process (models/network_preconditioning.h).
std::shared_ptr<ScoreModel> make_score_model(const Config& config, const DiffusionProcess& process);

// A model with the process it was trained on: what a training config or a
// checkpoint describes, built once and handed to training, sampling and evaluation.
struct ModelBundle {
  DiffusionProcess process;
  std::shared_ptr<ScoreModel> model;
};
ModelBundle make_model_bundle(const Config& config);

}  // namespace scorch::models
