#pragma once
// Config keys owned by the score models (model.*) and the model factory.
#include "common/config_fwd.h"

#include <memory>

namespace scorch::models {

class Sde;
class ScoreModel;

void declare_score_model_config(ConfigSchema& schema);

// The model named by model.name: time-conditioned on `sde` when it is given,
// noise-level conditioned (NCSN-style) when it is null.
std::shared_ptr<ScoreModel> make_score_model(const Config& config, std::shared_ptr<const Sde> sde);

}  // namespace scorch::models
