#include "trainer/objective_config.h"

#include "common/config.h"
#include "common/user_error.h"
#include "models/model_config.h"
#include "models/noise_family.h"
#include "models/sde.h"
#include "trainer/dlpm_loss.h"
#include "trainer/noise_level_dsm_loss.h"
#include "trainer/sde_dsm_loss.h"

namespace scorch::trainer {

void declare_objective_config(ConfigSchema& schema) {
  using T = ConfigType;
  schema.add({"objective.kind", T::choice, "sde",
              "sde: continuous-time DSM on the SDE; ncsn: multi-level DSM on the sigmas ladder; dlpm: noise "
              "prediction on the α-stable chain (noise.alpha, noise.isotropic, dlpm.steps)",
              {"sde", "ncsn", "dlpm"}});
  schema.add({"objective.weighting", T::choice, "original", "sde: λ(t) = σ_t² (original) or g(t)² (likelihood)",
              {"original", "likelihood"}});
  schema.add({"objective.time_sampling", T::choice, "uniform",
              "sde: t uniform on [eps, T], or importance-sampled from p(t) ∝ g²/σ² (needs likelihood weighting)",
              {"uniform", "importance"}});
  schema.add({"objective.importance_constant", T::choice, "drop",
              "sde with importance sampling: drop the constant Z/(T-eps) (training) or keep it (unbiased)",
              {"drop", "keep"}});
  schema.add({"objective.eps", T::number, "1e-5", "sde: smallest diffusion time ε", {}, 0.0, true});
  schema.add({"objective.reduction", T::choice, "auto",
              "sde: sum or mean of the squared error over dimensions; auto = sum for ve, mean for vp/subvp",
              {"auto", "sum", "mean"}});
  schema.add({"objective.median_of_means", T::integer, "1",
              "dlpm: noise draws M per example; M > 1 keeps the median of the M losses (DLPM_M)", {}, 1.0});
  schema.add({"objective.clamp_a", T::number, "0", "dlpm: clamp of the subordinator A (0 = off, as in the DLPM code)", {}, 0.0});
  schema.add({"objective.clamp_eps", T::number, "0", "dlpm: elementwise clamp of the noise ε_t (0 = off)", {}, 0.0});
}

SdeDsmSettings make_sde_dsm_settings(const Config& config, const models::Sde& sde) {
  SdeDsmSettings settings;
  settings.weighting = parse_weighting(config.string("objective.weighting"));
  settings.importance_sampling = config.string("objective.time_sampling") == "importance";
  settings.keep_importance_constant = config.string("objective.importance_constant") == "keep";
  settings.eps = config.number("objective.eps");
  const std::string& reduction = config.string("objective.reduction");
  const bool sum = reduction == "sum" || (reduction == "auto" && sde.name() == "ve");
  settings.reduction = sum ? Reduction::sum : Reduction::mean;
  return settings;
}

DlpmSettings make_dlpm_settings(const Config& config) {
  if (config.string("noise.family") != "alpha_stable") {
    throw UserError("objective.kind = dlpm needs noise.family = alpha_stable (got " + config.string("noise.family") + ")");
  }
  DlpmSettings settings;
  settings.alpha = config.number("noise.alpha");
  settings.isotropic = config.boolean("noise.isotropic");
  settings.steps = config.integer("dlpm.steps");
  settings.draws = config.integer("objective.median_of_means");
  settings.clamp_a = config.number("objective.clamp_a");
  settings.clamp_eps = config.number("objective.clamp_eps");
  return settings;
}

std::unique_ptr<Objective> make_objective(const Config& config, const models::Sde* sde) {
  const std::string& kind = config.string("objective.kind");
  if (kind == "dlpm") return std::make_unique<DlpmLoss>(make_dlpm_settings(config));
  if (kind == "ncsn") {
    std::shared_ptr<const models::NoiseFamily> family = models::make_noise_family(config);
    return std::make_unique<NoiseLevelDsmLoss>(models::make_noise_levels(config), std::move(family));
  }
  if (config.string("noise.family") != "gaussian") {
    throw UserError("objective.kind = sde needs noise.family = gaussian (got " + config.string("noise.family") + ")");
  }
  if (sde == nullptr) throw std::logic_error("objective.kind = sde needs an SDE");
  return std::make_unique<SdeDsmLoss>(*sde, make_sde_dsm_settings(config, *sde));
}

}  // namespace scorch::trainer
