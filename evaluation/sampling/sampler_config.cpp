#include "evaluation/sampling/sampler_config.h"

#include "common/config.h"

namespace scorch::evaluation {

void declare_sampler_config(ConfigSchema& schema) {
  using T = ConfigType;
  // Defaults come from the settings structs, so each is stated once.
  const PcSettings pc;
  const OdeSamplerSettings ode;
  const AldSettings ald;
  const LevySamplerSettings levy;
  schema.add({"sampler.batch_size", T::integer, "64",
              "images per batch; batches are fixed index ranges, so results do not depend on the world size", {}, 1.0});
  schema.add({"sampler.eps", T::number, config_default(pc.eps), "pc, ode: the diffusion time sampling stops at", {},
              0.0, true});
  schema.add({"sampler.denoise", T::boolean, config_default_boolean(pc.denoise),
              "pc: return the last predictor step's mean; ode: Tweedie step (x + σ_ε² s)/a_ε at eps; ald: "
              "x + σ_L² s at the smallest level"});
  schema.add({"sampler.pc.predictor", T::choice, to_string(pc.predictor), "pc predictor", predictor_names()});
  schema.add({"sampler.pc.corrector", T::choice, to_string(pc.corrector), "pc corrector", corrector_names()});
  schema.add({"sampler.pc.steps", T::integer, config_default_integer(pc.steps), "pc: grid points t = linspace(T, eps, N)",
              {}, 1.0});
  schema.add({"sampler.pc.corrector_steps", T::integer, config_default_integer(pc.corrector_steps),
              "pc: corrector steps per grid point", {}, 1.0});
  schema.add({"sampler.pc.snr", T::number, config_default(pc.snr), "pc: Langevin corrector signal-to-noise ratio r", {},
              0.0, true});
  schema.add({"sampler.ode.method", T::choice, to_string(ode.ode.method),
              "ode: adaptive Dormand–Prince, or fixed-step euler / heun", ode_method_names()});
  schema.add({"sampler.ode.rtol", T::number, config_default(ode.ode.rtol), "ode (rk45): relative tolerance", {}, 0.0,
              true});
  schema.add({"sampler.ode.atol", T::number, config_default(ode.ode.atol), "ode (rk45): absolute tolerance", {}, 0.0,
              true});
  schema.add({"sampler.ode.steps", T::integer, config_default_integer(ode.ode.steps), "ode (euler, heun): steps", {},
              1.0});
  schema.add({"sampler.ald.steps_per_level", T::integer, config_default_integer(ald.steps_per_level),
              "ald: Langevin steps T per noise level", {}, 1.0});
  schema.add({"sampler.ald.epsilon", T::number, config_default(ald.epsilon),
              "ald: step size ε, α_i = ε σ_i²/σ_L² (thesis Eq. 6.4 helps choose it)", {}, 0.0, true});
  schema.add({"sampler.ald.noise_shape", T::number, config_default(ald.langevin_noise_shape),
              "ald: Langevin noise shape β (2 Gaussian; else generalised normal, unit variance)", {}, 0.5, true});
  schema.add({"sampler.ald.start", T::number_list, "[]",
              "ald: [low, high] of the uniform start per coordinate ([]: the model's data range)"});
  schema.add({"sampler.dlpm.steps", T::integer, "0",
              "dlpm, dlim: length of the sampling chain (0 = the model's dlpm.steps)", {}, 0.0});
  schema.add({"sampler.dlpm.clamp_a", T::number, config_default(levy.clamp_a),
              "dlpm, dlim: clamp of the subordinators A (0 = off)", {}, 0.0});
  schema.add({"sampler.dlpm.clamp_eps", T::number, config_default(levy.clamp_eps),
              "dlpm, dlim: elementwise clamp of the initial noise (0 = off)", {}, 0.0});
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

OdeSamplerSettings ode_sampler_settings_from(const Config& config) {
  return {ode_settings_from(config), config.number("sampler.eps"), config.boolean("sampler.denoise")};
}

OdeSettings ode_settings_from(const Config& config) {
  OdeSettings settings;
  settings.method = parse_ode_method(config.string("sampler.ode.method"));
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

LevySamplerSettings levy_settings_from(const Config& config, LevyReverse process,
                                       const models::AlphaStableChainSpec& chain) {
  LevySamplerSettings settings;
  settings.process = process;
  settings.chain = chain;
  const std::int64_t steps = config.integer("sampler.dlpm.steps");
  if (steps > 0) settings.chain.steps = steps;
  settings.clamp_a = config.number("sampler.dlpm.clamp_a");
  settings.clamp_eps = config.number("sampler.dlpm.clamp_eps");
  return settings;
}

}  // namespace scorch::evaluation
