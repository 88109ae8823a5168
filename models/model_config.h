#pragma once
// Config keys owned by models/ (sde.*, noise.*, sigmas.*) and the factories
// that turn a resolved config into objects.
#include "common/config_fwd.h"

#include <ATen/core/Tensor.h>

#include <memory>

namespace scorch::models {

class Sde;
class NoiseFamily;

void declare_model_config(ConfigSchema& schema);

std::unique_ptr<Sde> make_sde(const Config& config);
// The SDE the model is conditioned on: sde.* when objective.kind = sde, null for
// noise-level (NCSN) objectives.
std::shared_ptr<const Sde> make_model_sde(const Config& config);
std::unique_ptr<NoiseFamily> make_noise_family(const Config& config);
// The NCSN σ ladder from sigmas.*, float64, largest first.
at::Tensor make_noise_levels(const Config& config);

}  // namespace scorch::models
