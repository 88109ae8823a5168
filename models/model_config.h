#pragma once
// Config keys owned by models/ (objective.kind, sde.*, noise.*, sigmas.*, dlpm.*) and the factories
// that turn a resolved config into objects.
#include "common/config_fwd.h"

#include <ATen/core/Tensor.h>

#include <memory>

namespace scorch::models {

class Sde;
class NoiseFamily;
class DiffusionProcess;

// sde.*, noise.*, dlpm.*, sigmas.*.
void declare_model_config(ConfigSchema& schema);
// objective.kind, the forward process a model is trained on; declared beside
// the trainer's objective.* keys so that configs list them together.
void declare_process_kind(ConfigSchema& schema);

// The forward process selected by objective.kind (the one place that reads
// it): the SDE from sde.*, the σ ladder from sigmas.* and noise.*, or the
// α-stable chain from noise.* and dlpm.steps. UserError for a noise family
// the process cannot use.
DiffusionProcess make_diffusion_process(const Config& config);

// The SDE of sde.*, whatever objective.kind says (`scorch schedule` prints it for every config).
std::unique_ptr<Sde> make_sde(const Config& config);
std::unique_ptr<NoiseFamily> make_noise_family(const Config& config);
// The NCSN σ ladder from sigmas.* for noise of `family`, float64, largest first.
at::Tensor make_noise_levels(const Config& config, const NoiseFamily& family);

}  // namespace scorch::models
