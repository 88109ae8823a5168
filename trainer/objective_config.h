#pragma once
// Config keys owned by trainer/ (objective.*) and the objective factory.
#include "common/config_fwd.h"

#include <memory>

namespace scorch::models {
class Sde;
class DiffusionProcess;
struct AlphaStableChainSpec;
}

namespace scorch::trainer {

class Objective;
struct DlpmSettings;
struct SdeDsmSettings;

void declare_objective_config(ConfigSchema& schema);

// The SDE DSM settings, with reduction "auto" resolved per SDE as in the
// reference configs (VE sums over dimensions, VP/subVP average).
SdeDsmSettings make_sde_dsm_settings(const Config& config, const models::Sde& sde);

// The DLPM loss on `chain`, with the median of means and clamps from objective.*.
DlpmSettings make_dlpm_settings(const Config& config, const models::AlphaStableChainSpec& chain);

// The objective for the process: SDE DSM, multi-level DSM on the σ ladder, or
// DLPM noise prediction. The process must outlive it.
std::unique_ptr<Objective> make_objective(const Config& config, const models::DiffusionProcess& process);

}  // namespace scorch::trainer
