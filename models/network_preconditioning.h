#pragma once
// The preconditioning each network uses on each diffusion process, as in the
// reference implementations (score_sde's get_score_fn, ermongroup/ncsnv2, the
// DLPM authors' code). The choice asks the process what it is; it never names
// an SDE, so a new SDE needs no change here unless it needs a new label.
#include "models/preconditioning.h"

namespace scorch::models {

// VE and σ ladders: label σ, output out/σ with scale_by_sigma (else out);
// VP/subVP: label (N − 1)·t, output −out/σ_t; DLPM: label 999·τ, output ε̂ = out.
// scale_by_sigma outside VE and σ ladders is a UserError.
Preconditioning ncsnpp_preconditioning(const DiffusionProcess& process, bool scale_by_sigma);
// Output out/σ, with σ = σ(t) on the VE SDE; other processes are UserErrors.
Preconditioning ncsnv2_preconditioning(const DiffusionProcess& process);
// Label log σ (σ ladders), t (SDEs) or τ (DLPM); output out/σ, out/σ_t or ε̂ = out.
Preconditioning mlp_preconditioning(const DiffusionProcess& process);
// For a network that reads x alone: its output is the model's output unscaled.
Preconditioning unconditional_preconditioning(const DiffusionProcess& process);

}  // namespace scorch::models
