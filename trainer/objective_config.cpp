#include "trainer/objective_config.h"

#include "common/config.h"
#include "common/user_error.h"
#include "models/model_config.h"
#include "models/noise_family.h"
#include "models/sde.h"
#include "trainer/noise_level_dsm_loss.h"
#include "trainer/sde_dsm_loss.h"

namespace scorch::trainer {

void declare_objective_config(ConfigSchema& schema) {
  using T = ConfigType;
  schema.add({"objective.kind", T::choice, "sde",
              "sde: continuous-time DSM on the SDE; ncsn: multi-level DSM on the sigmas ladder", {"sde", "ncsn"}});
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

std::unique_ptr<Objective> make_objective(const Config& config, const models::Sde* sde) {
  const std::string& kind = config.string("objective.kind");
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
