#include "trainer/objective_config.h"

#include "common/config.h"
#include "common/user_error.h"
#include "models/diffusion_process.h"
#include "models/noise_family.h"
#include "models/sde.h"
#include "trainer/dlpm_loss.h"
#include "trainer/objective.h"
#include "trainer/noise_level_dsm_loss.h"
#include "trainer/sde_dsm_loss.h"

#include <fmt/format.h>

namespace scorch::trainer {

void declare_objective_config(ConfigSchema& schema) {
  using T = ConfigType;
  // Defaults come from the settings structs, so each is stated once.
  const SdeDsmSettings sde;
  const DlpmSettings dlpm;
  const double ncsn_power = NoiseLevelDsmLoss::kNcsnWeightPower;
  schema.add({"objective.weighting", T::choice, "original", "sde: λ(t) = σ_t² (original) or g(t)² (likelihood)",
              {"original", "likelihood"}});
  schema.add({"objective.time_sampling", T::choice, "uniform",
              "sde: t uniform on [eps, T], or importance-sampled from p(t) ∝ g²/σ² (needs likelihood weighting)",
              {"uniform", "importance"}});
  schema.add({"objective.importance_constant", T::choice, "drop",
              "sde with importance sampling: drop the constant Z/(T-eps) (training) or keep it (unbiased)",
              {"drop", "keep"}});
  schema.add({"objective.eps", T::number, config_default(sde.eps), "sde: smallest diffusion time ε", {}, 0.0, true});
  schema.add({"objective.reduction", T::choice, "auto",
              "sde: sum or mean of the squared error over dimensions; auto = sum for ve, mean for vp/subvp",
              {"auto", "sum", "mean"}});
  schema.add({"objective.sigma_weight_power", T::number, config_default(ncsn_power),
              "ncsn: the loss weight λ(σ) = σ^p (2: NCSN's σ²; 1: the heavy-tailed DSM notebook's σ-weighted MSE)"});
  schema.add({"objective.median_of_means", T::integer, config_default_integer(dlpm.draws),
              "dlpm: noise draws M per example; M > 1 keeps the median of the M losses (DLPM_M)", {}, 1.0});
  schema.add({"noise.device", T::choice, row_of(noise_device_table(), NoiseDevice::host).name,
              "where the Gaussian training noise is drawn: host (a CPU generator per example, then copied; the "
              "streams of every earlier run) or device (a counter-based Philox generator on the batch's device, "
              "another stream of the same law; GPUs want it)",
              table_names(noise_device_table())});
  schema.add({"objective.clamp_a", T::number, config_default(dlpm.clamp_a), "dlpm: clamp of the subordinator A (0 = off, as in the DLPM code)", {}, 0.0});
  schema.add({"objective.clamp_eps", T::number, config_default(dlpm.clamp_eps), "dlpm: elementwise clamp of the noise ε_t (0 = off)", {}, 0.0});
}

NoiseDevice noise_device_from(const Config& config) {
  return row_named(noise_device_table(), config.string("noise.device"), "noise.device").value;
}

SdeDsmSettings make_sde_dsm_settings(const Config& config, const models::Sde& sde) {
  SdeDsmSettings settings;
  settings.weighting = parse_weighting(config.string("objective.weighting"));
  settings.importance_sampling = config.string("objective.time_sampling") == "importance";
  settings.keep_importance_constant = config.string("objective.importance_constant") == "keep";
  settings.eps = config.number("objective.eps");
  const std::string& reduction = config.string("objective.reduction");
  const bool sum = reduction == "sum" || (reduction == "auto" && sde.variance_exploding());
  settings.reduction = sum ? Reduction::sum : Reduction::mean;
  settings.noise_device = noise_device_from(config);
  return settings;
}

DlpmSettings make_dlpm_settings(const Config& config, const models::AlphaStableChainSpec& chain) {
  DlpmSettings settings;
  settings.chain = chain;
  settings.draws = config.integer("objective.median_of_means");
  settings.clamp_a = config.number("objective.clamp_a");
  settings.clamp_eps = config.number("objective.clamp_eps");
  return settings;
}

std::unique_ptr<Objective> make_objective(const Config& config, const models::DiffusionProcess& process) {
  const NoiseDevice noise_device = noise_device_from(config);
  if (const auto& chain = process.alpha_stable_chain()) {
    if (noise_device != NoiseDevice::host) {
      throw UserError(fmt::format("noise.device: {} is not available for objective.kind dlpm (α-stable noise); use {}",
                                  row_of(noise_device_table(), noise_device).name,
                                  row_of(noise_device_table(), NoiseDevice::host).name));
    }
    return std::make_unique<DlpmLoss>(make_dlpm_settings(config, *chain));
  }
  if (process.has_noise_levels()) {
    return std::make_unique<NoiseLevelDsmLoss>(process.noise_levels(), process.noise_family(),
                                               config.number("objective.sigma_weight_power"), noise_device);
  }
  return std::make_unique<SdeDsmLoss>(*process.sde(), make_sde_dsm_settings(config, *process.sde()));
}

}  // namespace scorch::trainer
