#include "evaluation/sampler_config.h"

#include "common/config.h"

namespace scorch::evaluation {

void declare_sampler_config(ConfigSchema& schema) {
  using T = ConfigType;
  schema.add({"sampler.batch_size", T::integer, "64",
              "images per batch; batches are fixed index ranges, so results do not depend on the world size", {}, 1.0});
  schema.add({"sampler.eps", T::number, "1e-3", "pc, ode: the diffusion time sampling stops at", {}, 0.0, true});
  schema.add({"sampler.denoise", T::boolean, "true",
              "pc: return the last predictor step's mean; ode: Tweedie step (x + σ_ε² s)/a_ε at eps; ald: "
              "x + σ_L² s at the smallest level"});
  schema.add({"sampler.pc.predictor", T::choice, "reverse_diffusion", "pc predictor",
              {"euler_maruyama", "reverse_diffusion", "ancestral", "none"}});
  schema.add({"sampler.pc.corrector", T::choice, "langevin", "pc corrector", {"langevin", "none"}});
  schema.add({"sampler.pc.steps", T::integer, "1000", "pc: grid points t = linspace(T, eps, N)", {}, 1.0});
  schema.add({"sampler.pc.corrector_steps", T::integer, "1", "pc: corrector steps per grid point", {}, 1.0});
  schema.add({"sampler.pc.snr", T::number, "0.16", "pc: Langevin corrector signal-to-noise ratio r", {}, 0.0, true});
  schema.add({"sampler.ode.method", T::choice, "rk45", "ode: adaptive Dormand–Prince, or fixed-step euler / heun",
              {"rk45", "euler", "heun"}});
  schema.add({"sampler.ode.rtol", T::number, "1e-5", "ode (rk45): relative tolerance", {}, 0.0, true});
  schema.add({"sampler.ode.atol", T::number, "1e-5", "ode (rk45): absolute tolerance", {}, 0.0, true});
  schema.add({"sampler.ode.steps", T::integer, "1000", "ode (euler, heun): steps", {}, 1.0});
  schema.add({"sampler.ald.steps_per_level", T::integer, "100", "ald: Langevin steps T per noise level", {}, 1.0});
  schema.add({"sampler.ald.epsilon", T::number, "2e-5",
              "ald: step size ε, α_i = ε σ_i²/σ_L² (thesis Eq. 6.4 helps choose it)", {}, 0.0, true});
  schema.add({"sampler.ald.noise_shape", T::number, "2",
              "ald: Langevin noise shape β (2 Gaussian; else generalised normal, unit variance)", {}, 0.5, true});
  schema.add({"sampler.ald.start", T::number_list, "[]",
              "ald: [low, high] of the uniform start per coordinate ([]: the model's data range)"});
  schema.add({"sampler.dlpm.steps", T::integer, "0",
              "dlpm, dlim: length of the sampling chain (0 = the model's dlpm.steps)", {}, 0.0});
  schema.add({"sampler.dlpm.clamp_a", T::number, "20", "dlpm, dlim: clamp of the subordinators A (0 = off)", {}, 0.0});
  schema.add({"sampler.dlpm.clamp_eps", T::number, "0", "dlpm, dlim: elementwise clamp of the initial noise (0 = off)",
              {}, 0.0});
}

const ConfigSchema& sampler_schema() {
  static const ConfigSchema schema = [] {
    ConfigSchema s;
    declare_sampler_config(s);
    return s;
  }();
  return schema;
}

PcSettings pc_settings_from(const Config& config) {
  PcSettings settings;
  settings.predictor = parse_predictor(config.string("sampler.pc.predictor"));
  settings.corrector = parse_corrector(config.string("sampler.pc.corrector"));
  settings.steps = config.integer("sampler.pc.steps");
  settings.corrector_steps = config.integer("sampler.pc.corrector_steps");
  settings.snr = config.number("sampler.pc.snr");
  settings.eps = config.number("sampler.eps");
  settings.denoise = config.boolean("sampler.denoise");
  return settings;
}

OdeSettings ode_settings_from(const Config& config) {
  OdeSettings settings;
  const std::string& method = config.string("sampler.ode.method");
  settings.method = method == "rk45" ? OdeMethod::rk45 : method == "euler" ? OdeMethod::euler : OdeMethod::heun;
  settings.rtol = config.number("sampler.ode.rtol");
  settings.atol = config.number("sampler.ode.atol");
  settings.steps = config.integer("sampler.ode.steps");
  return settings;
}

AldSettings ald_settings_from(const Config& config, std::vector<double> sigmas) {
  AldSettings settings;
  settings.sigmas = std::move(sigmas);
  settings.steps_per_level = config.integer("sampler.ald.steps_per_level");
  settings.epsilon = config.number("sampler.ald.epsilon");
  settings.denoise = config.boolean("sampler.denoise");
  settings.langevin_noise_shape = config.number("sampler.ald.noise_shape");
  return settings;
}

LevySamplerSettings levy_settings_from(const Config& config, LevyReverse process, const LevyChain& chain) {
  LevySamplerSettings settings;
  settings.process = process;
  settings.alpha = chain.alpha;
  settings.isotropic = chain.isotropic;
  const std::int64_t steps = config.integer("sampler.dlpm.steps");
  settings.steps = steps > 0 ? steps : chain.steps;
  settings.clamp_a = config.number("sampler.dlpm.clamp_a");
  settings.clamp_eps = config.number("sampler.dlpm.clamp_eps");
  return settings;
}

}  // namespace scorch::evaluation
