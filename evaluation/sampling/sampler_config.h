#pragma once
// Config keys for sampling (sampler.*), shared by `scorch sample` (through
// --set) and the evaluation stage's config, and the settings they give.
#include "common/compute_settings.h"
#include "common/config_fwd.h"
#include "evaluation/sampling/annealed_langevin.h"
#include "evaluation/sampling/ddim_sampler.h"
#include "evaluation/sampling/dpm_solver.h"
#include "evaluation/sampling/edm_sampler.h"
#include "evaluation/sampling/levy_sampler.h"
#include "evaluation/sampling/ode_sampler.h"
#include "evaluation/sampling/ode_solver.h"
#include "evaluation/sampling/pc_sampler.h"

namespace scorch::evaluation {

void declare_sampler_config(ConfigSchema& schema);
// The schema with only the sampler.* keys.
const ConfigSchema& sampler_schema();

// sampler.precision: the network's arithmetic while sampling.
Precision sampler_precision_from(const Config& config);

// sampler.eps, or with 0 (the default) the SDE's reference ε, raised to
// `trained_eps`, the smallest time the model was trained on (objective.eps);
// an explicit value below it, or not below T, is a UserError. The samplers'
// settings resolve it on every rank before sampling, so all ranks fail alike.
double sampling_eps_from(const Config& config, const models::Sde& sde, double trained_eps);

// The settings of each SDE sampler for this SDE and model, "auto" and eps resolved.
PcSettings pc_settings_from(const Config& config, const models::Sde& sde, double trained_eps);
OdeSettings ode_settings_from(const Config& config);
// The ODE solver settings with sampler.eps and sampler.denoise.
OdeSamplerSettings ode_sampler_settings_from(const Config& config, const models::Sde& sde, double trained_eps);
// `stochastic`: EDM's Algorithm 2 with the sampler.edm.churn settings, else Algorithm 1.
EdmSettings edm_settings_from(const Config& config, const models::Sde& sde, double trained_eps, bool stochastic);
DpmSolverSettings dpm_solver_settings_from(const Config& config, const models::Sde& sde, double trained_eps);
DdimSettings ddim_settings_from(const Config& config, const models::Sde& sde, double trained_eps);
// `sigmas` is the model's noise ladder, largest first.
AldSettings ald_settings_from(const Config& config, std::vector<double> sigmas);
// The chain of the trained model (α, isotropy, and its length unless sampler.dlpm.steps sets one).
LevySamplerSettings levy_settings_from(const Config& config, LevyReverse process,
                                       const models::AlphaStableChainSpec& chain);

}  // namespace scorch::evaluation
