#pragma once
// Config keys for sampling (sampler.*), shared by `scorch sample` (through
// --set) and the evaluation stage's config, and the settings they give.
#include "common/config_fwd.h"
#include "evaluation/sampling/annealed_langevin.h"
#include "evaluation/sampling/levy_sampler.h"
#include "evaluation/sampling/ode_sampler.h"
#include "evaluation/sampling/ode_solver.h"
#include "evaluation/sampling/pc_sampler.h"

namespace scorch::evaluation {

void declare_sampler_config(ConfigSchema& schema);
// The schema with only the sampler.* keys.
const ConfigSchema& sampler_schema();

PcSettings pc_settings_from(const Config& config);
OdeSettings ode_settings_from(const Config& config);
// The ODE solver settings with sampler.eps and sampler.denoise.
OdeSamplerSettings ode_sampler_settings_from(const Config& config);
// `sigmas` is the model's noise ladder, largest first.
AldSettings ald_settings_from(const Config& config, std::vector<double> sigmas);
// The chain of the trained model (α, isotropy, and its length unless sampler.dlpm.steps sets one).
LevySamplerSettings levy_settings_from(const Config& config, LevyReverse process,
                                       const models::AlphaStableChainSpec& chain);

}  // namespace scorch::evaluation
