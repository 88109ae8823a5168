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

#include <optional>
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

// The noise families by noise.family.
struct NoiseFamilyRow {
  const char* name;
  std::unique_ptr<NoiseFamily> (*make)(const Config& config);
};

const std::vector<NoiseFamilyRow>& noise_family_table() {
  static const std::vector<NoiseFamilyRow> table = {
      {GaussianNoise::kName, [](const Config&) -> std::unique_ptr<NoiseFamily> { return std::make_unique<GaussianNoise>(); }},
      {GeneralizedNormalNoise::kName,
       [](const Config& c) -> std::unique_ptr<NoiseFamily> {
         return std::make_unique<GeneralizedNormalNoise>(c.number("noise.beta"));
       }},
      {AlphaStableNoise::kName,
       [](const Config& c) -> std::unique_ptr<NoiseFamily> {
         return std::make_unique<AlphaStableNoise>(c.number("noise.alpha"), c.boolean("noise.isotropic"));
       }},
  };
  return table;
}

// The σ ladders by sigmas.scheme.
struct LadderRow {
  const char* name;
  at::Tensor (*make)(const Config& config, const NoiseFamily& family);
};

const std::vector<LadderRow>& ladder_table() {
  static const std::vector<LadderRow> table = {
      {"geometric",
       [](const Config& c, const NoiseFamily&) {
         return geometric_noise_levels(c.number("sigmas.max"), c.number("sigmas.min"), c.integer("sigmas.count"));
       }},
      {"overlap",
       [](const Config& c, const NoiseFamily& family) {
         // Algorithm 3 matches quantiles of the noise length, so it needs the family's moments.
         const std::optional<double> shape = family.generalized_normal_shape();
         if (!shape) {
           throw UserError(fmt::format("sigmas.scheme overlap needs {} or {} noise (the α-stable length law has no "
                                       "finite moments)", GaussianNoise::kName, GeneralizedNormalNoise::kName));
         }
         std::int64_t dimension = 1;
         for (std::int64_t extent : c.integer_list("model.input_shape", 1)) dimension *= extent;
         return overlap_noise_levels(c.number("sigmas.max"), c.number("sigmas.min"), c.number("sigmas.delta"),
                                     dimension, *shape);
       }},
  };
  return table;
}

DiffusionProcess continuous_process(const Config& config) {
  const auto family = make_noise_family(config);
  // The SDE kernels are N(a_t x, σ_t² I): the noise must be standard Gaussian.
  if (family->gaussian_std() != std::optional<double>(1.0)) {
    throw UserError(fmt::format("objective.kind = sde needs noise.family = {} (got {})", GaussianNoise::kName,
                                family->name()));
  }
  return DiffusionProcess(std::shared_ptr<const Sde>(make_sde(config)));
}

DiffusionProcess noise_level_process(const Config& config) {
  std::shared_ptr<const NoiseFamily> family = make_noise_family(config);
  return DiffusionProcess(make_noise_levels(config, *family), family);
}

DiffusionProcess alpha_stable_process(const Config& config) {
  const auto family = make_noise_family(config);
  if (!family->stable_index()) {
    throw UserError(fmt::format("objective.kind = dlpm needs noise.family = {} (got {})", AlphaStableNoise::kName,
                                family->name()));
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
      {kDlpmName, "noise prediction on the α-stable chain (noise.alpha, noise.isotropic, dlpm.steps)",
       alpha_stable_process},
  };
  return table;
}

}  // namespace

void declare_process_kind(ConfigSchema& schema) {
  using T = ConfigType;
  std::vector<std::string> kinds;
  for (const ProcessRow& row : process_table()) kinds.push_back(fmt::format("{}: {}", row.name, row.description));
  schema.add({"objective.kind", T::choice, process_table().front().name, fmt::format("{}", fmt::join(kinds, "; ")),
              table_names(process_table())});
}

void declare_model_config(ConfigSchema& schema) {
  using T = ConfigType;
  schema.add({"sde.name", T::choice, VpSde::kName,
              "forward SDE: " + spoken_list(table_names(sde_table())), table_names(sde_table())});
  schema.add({"sde.sigma_min", T::number, "0.01", "VE: smallest noise std σ_min", {}, 0.0, true});
  schema.add({"sde.sigma_max", T::number, "50", "VE: largest noise std σ_max (prior std)", {}, 0.0, true});
  schema.add({"sde.beta_min", T::number, "0.1", "VP/subVP: β(0)", {}, 0.0, true});
  schema.add({"sde.beta_max", T::number, "20", "VP/subVP: β(1)", {}, 0.0, true});
  schema.add({"sde.T", T::number, "1", "end time of the forward process", {}, 0.0, true});
  schema.add({"sde.num_scales", T::integer, "1000", "steps N of the discrete SMLD/DDPM chain", {}, 2.0});

  schema.add({"noise.family", T::choice, GaussianNoise::kName, "DSM noise: " + spoken_list(table_names(noise_family_table())),
              table_names(noise_family_table())});
  schema.add({"noise.beta", T::number, "2", "generalized normal shape β (> 0.5; 2 is Gaussian, 1 Laplace)", {}, 0.5,
              true});
  schema.add({"noise.alpha", T::number, "2", "alpha-stable index α in (0, 2]", {}, 0.0, true, 2.0});
  schema.add({"noise.isotropic", T::boolean, "true", "alpha-stable: one subordinator A per example (else per coordinate)"});
  schema.add({"dlpm.steps", T::integer, "1000", "DLPM: length n of the α-stable chain (cosine schedule)", {}, 2.0});

  schema.add({"sigmas.scheme", T::choice, ladder_table().front().name,
              "NCSN noise-level ladder: geometric (sigmas.count levels), or overlap (the heavy-tailed DSM paper's "
              "Algorithm 3: the ratio from sigmas.delta, the data dimension and the noise family)",
              table_names(ladder_table())});
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
  return row_named(noise_family_table(), config.string("noise.family"), "noise family").make(config);
}

at::Tensor make_noise_levels(const Config& config, const NoiseFamily& family) {
  return row_named(ladder_table(), config.string("sigmas.scheme"), "sigmas.scheme").make(config, family);
}

}  // namespace scorch::models
