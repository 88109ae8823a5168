#include "models/model_config.h"

#include "common/config.h"
#include "common/user_error.h"
#include "models/alpha_stable_noise.h"
#include "models/gaussian_noise.h"
#include "models/generalized_normal_noise.h"
#include "models/linear_beta_sde.h"
#include "models/noise_levels.h"
#include "models/ve_sde.h"

namespace scorch::models {

void declare_model_config(ConfigSchema& schema) {
  using T = ConfigType;
  schema.add({"sde.name", T::choice, "vp", "forward SDE: ve, vp or subvp", {"ve", "vp", "subvp"}});
  schema.add({"sde.sigma_min", T::number, "0.01", "VE: smallest noise std σ_min", {}, 0.0, true});
  schema.add({"sde.sigma_max", T::number, "50", "VE: largest noise std σ_max (prior std)", {}, 0.0, true});
  schema.add({"sde.beta_min", T::number, "0.1", "VP/subVP: β(0)", {}, 0.0, true});
  schema.add({"sde.beta_max", T::number, "20", "VP/subVP: β(1)", {}, 0.0, true});
  schema.add({"sde.T", T::number, "1", "end time of the forward process", {}, 0.0, true});
  schema.add({"sde.num_scales", T::integer, "1000", "steps N of the discrete SMLD/DDPM chain", {}, 2.0});

  schema.add({"noise.family", T::choice, "gaussian", "DSM noise: gaussian, generalized_normal or alpha_stable",
              {"gaussian", "generalized_normal", "alpha_stable"}});
  schema.add({"noise.beta", T::number, "2", "generalized normal shape β (> 0.5; 2 is Gaussian, 1 Laplace)", {}, 0.5,
              true});
  schema.add({"noise.alpha", T::number, "2", "alpha-stable index α in (0, 2]", {}, 0.0, true, 2.0});
  schema.add({"noise.isotropic", T::boolean, "true", "alpha-stable: one subordinator A per example (else per coordinate)"});
  schema.add({"dlpm.steps", T::integer, "1000", "DLPM: length n of the α-stable chain (cosine schedule)", {}, 2.0});

  schema.add({"sigmas.scheme", T::choice, "geometric",
              "NCSN noise-level ladder: geometric (sigmas.count levels), or overlap (the heavy-tailed DSM paper's "
              "Algorithm 3: the ratio from sigmas.delta, the data dimension and the noise family)",
              {"geometric", "overlap"}});
  schema.add({"sigmas.delta", T::number, "0.9",
              "overlap: the central share δ of each level's squared noise length; the next level's lower (1−δ)/2 "
              "quantile meets this one's upper (1+δ)/2 quantile",
              {}, 0.0, true, 1.0});
  schema.add({"sigmas.max", T::number, "1", "largest noise level σ_1", {}, 0.0, true});
  schema.add({"sigmas.min", T::number, "0.01", "smallest noise level σ_L", {}, 0.0, true});
  schema.add({"sigmas.count", T::integer, "10", "number of noise levels L", {}, 2.0});
}

std::unique_ptr<Sde> make_sde(const Config& config) {
  const std::string& name = config.string("sde.name");
  const double T = config.number("sde.T");
  const std::int64_t steps = config.integer("sde.num_scales");
  if (name == "ve") return std::make_unique<VeSde>(config.number("sde.sigma_min"), config.number("sde.sigma_max"), T, steps);
  if (name == "vp") return std::make_unique<VpSde>(config.number("sde.beta_min"), config.number("sde.beta_max"), T, steps);
  return std::make_unique<SubVpSde>(config.number("sde.beta_min"), config.number("sde.beta_max"), T, steps);
}

std::shared_ptr<const Sde> make_model_sde(const Config& config) {
  if (config.string("objective.kind") != "sde") return nullptr;
  return make_sde(config);
}

std::unique_ptr<NoiseFamily> make_noise_family(const Config& config) {
  const std::string& family = config.string("noise.family");
  if (family == "generalized_normal") return std::make_unique<GeneralizedNormalNoise>(config.number("noise.beta"));
  if (family == "alpha_stable") {
    return std::make_unique<AlphaStableNoise>(config.number("noise.alpha"), config.boolean("noise.isotropic"));
  }
  return std::make_unique<GaussianNoise>();
}

at::Tensor make_noise_levels(const Config& config) {
  if (config.string("sigmas.scheme") == "geometric") {
    return geometric_noise_levels(config.number("sigmas.max"), config.number("sigmas.min"),
                                  config.integer("sigmas.count"));
  }
  const std::string& family = config.string("noise.family");
  if (family == "alpha_stable") {
    throw UserError("sigmas.scheme overlap needs gaussian or generalized_normal noise (the α-stable length law has no "
                    "finite moments)");
  }
  std::int64_t dimension = 1;
  for (std::int64_t extent : config.integer_list("model.input_shape", 1)) dimension *= extent;
  return overlap_noise_levels(config.number("sigmas.max"), config.number("sigmas.min"), config.number("sigmas.delta"),
                              dimension, family == "gaussian" ? 2.0 : config.number("noise.beta"));
}

}  // namespace scorch::models
