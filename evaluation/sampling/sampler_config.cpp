#include "evaluation/sampling/sampler_config.h"

#include "common/compute_settings.h"
#include "common/config.h"
#include "common/user_error.h"
#include "models/sde.h"

#include <fmt/format.h>

#include <algorithm>

namespace scorch::evaluation {

void declare_sampler_config(ConfigSchema& schema) {
  using T = ConfigType;
  // Defaults come from the settings structs, so each is stated once.
  const PcSettings pc;
  const OdeSamplerSettings ode;
  const AldSettings ald;
  const LevySamplerSettings levy;
  const EdmSettings edm, churn = edm_stochastic_defaults();
  const DpmSolverSettings dpm;
  const DdimSettings ddim;
  schema.add({"sampler.batch_size", T::integer, "64",
              "images per batch; batches are fixed index ranges, so results do not depend on the world size", {}, 1.0});
  // Every command that samples (sample, encode, evaluate) reads its compute.* keys beside the sampler's.
  declare_compute_keys(schema);
  schema.add({"sampler.precision", T::choice, to_string(Precision::fp32),
              "the network's arithmetic while sampling: fp32, or bf16 autocast of its convolutions and matrix "
              "products (the sampler's own steps stay in fp32/fp64); likelihoods and the DSM bound always use fp32",
              table_names(precision_table())});
  schema.add({"sampler.eps", T::number, "0",
              "pc, ode, edm_*, dpmpp_2m, ddim: the diffusion time sampling stops at; 0: score_sde's for the SDE "
              "(1e-5 for VE, 1e-3 for VP and subVP), never below the model's objective.eps",
              {}, 0.0});
  schema.add({"sampler.denoise", T::boolean, config_default_boolean(pc.denoise),
              "pc: return the last predictor step's mean; ode, dpmpp_2m, ddim: Tweedie step (x + σ_ε² s)/a_ε at eps; "
              "edm_*: the last step from σ(ε)/a(ε) to 0; "
              "ald: x + c²σ_L² s at the smallest level (Gaussian-like noise only)"});
  std::vector<std::string> predictors = predictor_names(), correctors = corrector_names();
  predictors.insert(predictors.begin(), kAutomatic);
  correctors.insert(correctors.begin(), kAutomatic);
  schema.add({"sampler.pc.predictor", T::choice, kAutomatic,
              "pc predictor; auto: reverse_diffusion for VE, euler_maruyama for VP and subVP (score_sde's configs)",
              predictors});
  schema.add({"sampler.pc.corrector", T::choice, kAutomatic,
              "pc corrector; auto: langevin for VE, none for VP and subVP (score_sde's configs)", correctors});
  schema.add({"sampler.pc.steps", T::integer, config_default_integer(pc.steps),
              "pc: grid points t = linspace(T, eps, N), then a last step to the data", {}, 1.0});
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
  schema.add({"sampler.edm.steps", T::integer, config_default_integer(edm.steps),
              "edm_heun, edm_stochastic: grid points N of the ρ-spaced σ grid (2N − 1 network calls)", {}, 1.0});
  schema.add({"sampler.edm.rho", T::number, config_default(edm.rho), "edm_heun, edm_stochastic: grid exponent ρ", {},
              0.0, true});
  schema.add({"sampler.edm.churn", T::number, config_default(churn.churn), "edm_stochastic: S_churn", {}, 0.0});
  schema.add({"sampler.edm.s_min", T::number, config_default(churn.s_min),
              "edm_stochastic: S_min, the smallest σ/a that gets fresh noise", {}, 0.0});
  schema.add({"sampler.edm.s_max", T::number, config_default(churn.s_max),
              "edm_stochastic: S_max, the largest σ/a that gets fresh noise", {}, 0.0});
  schema.add({"sampler.edm.s_noise", T::number, config_default(churn.s_noise),
              "edm_stochastic: S_noise, the scale of the fresh noise", {}, 0.0});
  schema.add({"sampler.dpm_solver.steps", T::integer, config_default_integer(dpm.steps),
              "dpmpp_2m: steps, uniform in log-SNR (one network call each, plus the denoising step)", {}, 1.0});
  schema.add({"sampler.ddim.steps", T::integer, config_default_integer(ddim.steps),
              "ddim: steps, uniform in t (one network call each, plus the denoising step)", {}, 1.0});
  schema.add({"sampler.ddim.eta", T::number, config_default(ddim.eta),
              "ddim: η, the share of the DDPM posterior noise (0 deterministic, 1 ancestral)", {}, 0.0});
  schema.add({"sampler.ald.steps_per_level", T::integer, config_default_integer(ald.steps_per_level),
              "ald: Langevin steps T per noise level", {}, 1.0});
  schema.add({"sampler.ald.epsilon", T::number, config_default(ald.epsilon),
              "ald: step size ε, α_i = ε σ_i²/σ_L² (thesis Eq. 6.4 helps choose it)", {}, 0.0, true});
  schema.add({"sampler.ald.noise_shape", T::number, config_default(ald.langevin_noise_shape),
              "ald: Langevin noise shape β (2 Gaussian; else generalised normal, scaled by sampler.ald.noise_scale)", {}, 0.5, true});
  schema.add({"sampler.ald.step", T::choice, to_string(ald.step),
              "ald: annealed (α_i = ε σ_i²/σ_L², NCSN) or constant (α_i = ε, the heavy-tailed DSM notebook)",
              ald_step_names()});
  schema.add({"sampler.ald.noise_scale", T::choice, to_string(ald.noise_scale),
              "ald: unit (noise z at unit variance) or level (σ_i times the standard noise GN(0, √2, β), the "
              "heavy-tailed DSM notebook)",
              ald_noise_scale_names()});
  schema.add({"sampler.ald.start", T::number_list, "[]",
              "ald: [low, high] of the uniform start per coordinate ([]: the model's data range)"});
  schema.add({"sampler.dlpm.steps", T::integer, "0",
              "dlpm, dlim: length of the sampling chain (0 = the model's dlpm.steps)", {}, 0.0});
  schema.add({"sampler.dlpm.clamp_a", T::number, config_default(levy.clamp_a),
              "dlpm, dlim: clamp of the subordinators A (0 = off)", {}, 0.0});
  schema.add({"sampler.dlpm.clamp_eps", T::number, config_default(levy.clamp_eps),
              "dlpm, dlim: elementwise clamp of the initial noise (0 = off)", {}, 0.0});
  schema.add({"sampler.dlpm.clamp_samples", T::number, config_default(levy.clamp_samples),
              "dlpm, dlim: elementwise clamp of the final samples to [−c, c] (0 = off; the DLPM authors use 6 in 2-D)", {},
              0.0});
}

Precision sampler_precision_from(const Config& config) {
  return precision_named(config.string("sampler.precision"), "sampler.precision");
}

const ConfigSchema& sampler_schema() {
  static const ConfigSchema schema = [] {
    ConfigSchema s;
    declare_sampler_config(s);
    return s;
  }();
  return schema;
}

double sampling_eps_from(const Config& config, const models::Sde& sde, double trained_eps) {
  const double eps = config.number("sampler.eps");
  if (eps == 0.0) return std::max(sde.reference_sampling_eps(), trained_eps);
  if (eps >= sde.T()) throw UserError(fmt::format("sampler.eps {} must lie below the SDE's T = {}", eps, sde.T()));
  if (eps < trained_eps) {
    throw UserError(fmt::format("sampler.eps {} lies below the smallest time this model was trained on "
                                "(objective.eps = {}); use sampler.eps >= {}, or 0 for the default",
                                eps, trained_eps, trained_eps));
  }
  return eps;
}

PcSettings pc_settings_from(const Config& config, const models::Sde& sde, double trained_eps) {
  PcSettings settings;
  const std::string& predictor = config.string("sampler.pc.predictor");
  const std::string& corrector = config.string("sampler.pc.corrector");
  settings.predictor = predictor == kAutomatic ? reference_predictor(sde) : parse_predictor(predictor);
  settings.corrector = corrector == kAutomatic ? reference_corrector(sde) : parse_corrector(corrector);
  settings.steps = config.integer("sampler.pc.steps");
  settings.corrector_steps = config.integer("sampler.pc.corrector_steps");
  settings.snr = config.number("sampler.pc.snr");
  settings.eps = sampling_eps_from(config, sde, trained_eps);
  settings.denoise = config.boolean("sampler.denoise");
  return settings;
}

OdeSamplerSettings ode_sampler_settings_from(const Config& config, const models::Sde& sde, double trained_eps) {
  return {ode_settings_from(config), sampling_eps_from(config, sde, trained_eps), config.boolean("sampler.denoise")};
}

EdmSettings edm_settings_from(const Config& config, const models::Sde& sde, double trained_eps, bool stochastic) {
  EdmSettings settings;
  settings.steps = config.integer("sampler.edm.steps");
  settings.rho = config.number("sampler.edm.rho");
  settings.eps = sampling_eps_from(config, sde, trained_eps);
  settings.denoise = config.boolean("sampler.denoise");
  if (stochastic) {
    settings.churn = config.number("sampler.edm.churn");
    settings.s_min = config.number("sampler.edm.s_min");
    settings.s_max = config.number("sampler.edm.s_max");
    settings.s_noise = config.number("sampler.edm.s_noise");
  }
  return settings;
}

DpmSolverSettings dpm_solver_settings_from(const Config& config, const models::Sde& sde, double trained_eps) {
  return {config.integer("sampler.dpm_solver.steps"), sampling_eps_from(config, sde, trained_eps),
          config.boolean("sampler.denoise")};
}

DdimSettings ddim_settings_from(const Config& config, const models::Sde& sde, double trained_eps) {
  return {config.integer("sampler.ddim.steps"), config.number("sampler.ddim.eta"),
          sampling_eps_from(config, sde, trained_eps), config.boolean("sampler.denoise")};
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
  settings.step = parse_ald_step(config.string("sampler.ald.step"));
  settings.noise_scale = parse_ald_noise_scale(config.string("sampler.ald.noise_scale"));
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
  settings.clamp_samples = config.number("sampler.dlpm.clamp_samples");
  return settings;
}

}  // namespace scorch::evaluation
