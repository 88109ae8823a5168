#include "models/model_config.h"

#include "common/config.h"
#include "common/name_table.h"
#include "common/user_error.h"
#include "models/alpha_stable_noise.h"
#include "models/diffusion_process.h"
#include "models/gaussian_noise.h"
#include "models/generalized_normal_noise.h"
#include "models/linear_beta_sde.h"
#include "models/noise_levels.h"
#include "models/ve_sde.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <vector>

namespace scorch::models {

namespace {

// The SDEs by sde.name: adding one is its class and a row here.
struct SdeRow {
  const char* name;
  std::unique_ptr<Sde> (*make)(const Config& config, double T, std::int64_t steps);
};

const std::vector<SdeRow>& sde_table() {
  static const std::vector<SdeRow> table = {
      {VeSde::kName,
       [](const Config& c, double T, std::int64_t steps) -> std::unique_ptr<Sde> {
         return std::make_unique<VeSde>(c.number("sde.sigma_min"), c.number("sde.sigma_max"), T, steps);
       }},
      {VpSde::kName,
       [](const Config& c, double T, std::int64_t steps) -> std::unique_ptr<Sde> {
         return std::make_unique<VpSde>(c.number("sde.beta_min"), c.number("sde.beta_max"), T, steps);
       }},
      {SubVpSde::kName,
       [](const Config& c, double T, std::int64_t steps) -> std::unique_ptr<Sde> {
         return std::make_unique<SubVpSde>(c.number("sde.beta_min"), c.number("sde.beta_max"), T, steps);
       }},
  };
  return table;
}

DiffusionProcess continuous_process(const Config& config) {
  const std::string& family = config.string("noise.family");
  if (family != "gaussian") throw UserError("objective.kind = sde needs noise.family = gaussian (got " + family + ")");
  return DiffusionProcess(std::shared_ptr<const Sde>(make_sde(config)));
}

DiffusionProcess noise_level_process(const Config& config) {
  return DiffusionProcess(make_noise_levels(config), make_noise_family(config));
}

DiffusionProcess alpha_stable_process(const Config& config) {
  const std::string& family = config.string("noise.family");
  if (family != "alpha_stable") {
    throw UserError("objective.kind = dlpm needs noise.family = alpha_stable (got " + family + ")");
  }
  return DiffusionProcess(AlphaStableChainSpec{config.number("noise.alpha"), config.integer("dlpm.steps"),
                                               config.boolean("noise.isotropic")});
}

// The forward processes by objective.kind (the objective follows from the process).
struct ProcessRow {
  const char* name;
  const char* description;
  DiffusionProcess (*make)(const Config& config);
};

const std::vector<ProcessRow>& process_table() {
  static const std::vector<ProcessRow> table = {
      {"sde", "continuous-time DSM on the SDE", continuous_process},
      {"ncsn", "multi-level DSM on the sigmas ladder", noise_level_process},
      {"dlpm", "noise prediction on the α-stable chain (noise.alpha, noise.isotropic, dlpm.steps)",
       alpha_stable_process},
  };
  return table;
}

}  // namespace

void declare_model_config(ConfigSchema& schema) {
  using T = ConfigType;
  std::vector<std::string> kinds;
  for (const ProcessRow& row : process_table()) kinds.push_back(fmt::format("{}: {}", row.name, row.description));
  schema.add({"objective.kind", T::choice, process_table().front().name, fmt::format("{}", fmt::join(kinds, "; ")),
              table_names(process_table())});
  schema.add({"sde.name", T::choice, VpSde::kName,
              "forward SDE: " + spoken_list(table_names(sde_table())), table_names(sde_table())});
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
  return row_named(sde_table(), config.string("sde.name"), "SDE")
      .make(config, config.number("sde.T"), config.integer("sde.num_scales"));
}

DiffusionProcess make_diffusion_process(const Config& config) {
  return row_named(process_table(), config.string("objective.kind"), "objective.kind").make(config);
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
