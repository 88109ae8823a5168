#pragma once
// Config keys owned by trainer/ (objective.*) and the objective factory.
#include "common/config_fwd.h"

#include <memory>

namespace scorch::models {
class Sde;
}

namespace scorch::trainer {

class Objective;
struct DlpmSettings;
struct SdeDsmSettings;

void declare_objective_config(ConfigSchema& schema);

// The SDE DSM settings, with reduction "auto" resolved per SDE as in the
// reference configs (VE sums over dimensions, VP/subVP average).
SdeDsmSettings make_sde_dsm_settings(const Config& config, const models::Sde& sde);

// objective.kind = dlpm: the chain from noise.* and dlpm.steps, the rest from objective.*.
DlpmSettings make_dlpm_settings(const Config& config);

// The objective selected by objective.kind; the SDE must outlive it (it may be
// null for objectives that do not use one).
std::unique_ptr<Objective> make_objective(const Config& config, const models::Sde* sde);

}  // namespace scorch::trainer
