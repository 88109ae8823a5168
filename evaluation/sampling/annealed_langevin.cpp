#include "evaluation/sampling/annealed_langevin.h"

#include "common/device_copy.h"
#include "common/log.h"
#include "common/name_table.h"
#include "common/noise_stream.h"
#include "common/user_error.h"
#include "models/generalized_normal_noise.h"

#include <ATen/ATen.h>
#include <torch/torch.h>

#include <cmath>

namespace scorch::evaluation {
namespace {

const std::vector<Named<AldStep>>& ald_step_table() {
  static const std::vector<Named<AldStep>> table = {{AldStep::annealed, "annealed"}, {AldStep::constant, "constant"}};
  return table;
}

const std::vector<Named<AldNoiseScale>>& ald_noise_scale_table() {
  static const std::vector<Named<AldNoiseScale>> table = {{AldNoiseScale::unit, "unit"},
                                                         {AldNoiseScale::level, "level"}};
  return table;
}

// z before the level factor: unit variance, or the family's standard noise GN(0, √2, β).
BlockDraw langevin_noise_draw(double shape, AldNoiseScale scale_rule) {
  if (shape == 2.0) return standard_normal_block;
  auto family = std::make_shared<models::GeneralizedNormalNoise>(shape);
  const double scale = scale_rule == AldNoiseScale::unit
                           ? 1.0 / std::sqrt(models::GeneralizedNormalNoise::variance(std::sqrt(2.0), shape))
                           : 1.0;
  return [family, scale](at::Generator& generator, std::int64_t rows, std::int64_t numel) {
    return family->sample({rows, numel}, generator, at::kDouble) * scale;
  };
}

}  // namespace

AldStep parse_ald_step(const std::string& name) { return row_named(ald_step_table(), name, "Langevin step rule").value; }
std::vector<std::string> ald_step_names() { return table_names(ald_step_table()); }
std::string to_string(AldStep step) { return row_of(ald_step_table(), step).name; }
AldNoiseScale parse_ald_noise_scale(const std::string& name) {
  return row_named(ald_noise_scale_table(), name, "Langevin noise scale").value;
}
std::vector<std::string> ald_noise_scale_names() { return table_names(ald_noise_scale_table()); }
std::string to_string(AldNoiseScale scale) { return row_of(ald_noise_scale_table(), scale).name; }

double ald_variance_ratio(double epsilon, double gamma, double smallest_sigma, std::int64_t steps_per_level) {
  const double a = epsilon / (smallest_sigma * smallest_sigma);
  const double contraction = (1.0 - a) * (1.0 - a);
  const double stationary = 2.0 * a / (1.0 - contraction);
  return std::pow(contraction, static_cast<double>(steps_per_level)) * (gamma * gamma - stationary) + stationary;
}

bool ald_step_is_stable(double epsilon, double smallest_sigma) { return epsilon < 2.0 * smallest_sigma * smallest_sigma; }

at::Tensor annealed_langevin(const models::ScoreFunction& score, const at::Tensor& initial, const AldSettings& settings,
                             std::uint64_t seed, const std::vector<std::int64_t>& image_indices) {
  if (settings.sigmas.empty()) throw UserError("annealed Langevin needs at least one noise level");
  if (settings.steps_per_level < 1 || settings.epsilon <= 0.0) {
    throw UserError("annealed Langevin needs positive steps per level and step size epsilon");
  }
  if (initial.size(0) != static_cast<std::int64_t>(image_indices.size())) {
    throw std::logic_error("annealed_langevin: one image index per initial sample");
  }
  const double smallest_level = settings.sigmas.back();
  // A constant step is the annealed one's at σ_L; the bound is the same.
  if (!ald_step_is_stable(settings.epsilon, smallest_level)) {
    log::warn("annealed Langevin: epsilon {} is at least 2 sigma_L^2 = {}: the steps at every level diverge; "
              "choose epsilon by thesis Eq. 6.4 (well below sigma_L^2)",
              settings.epsilon, 2.0 * smallest_level * smallest_level);
  }
  torch::NoGradGuard no_grad;
  const std::vector<std::int64_t> example_shape(initial.sizes().begin() + 1, initial.sizes().end());
  NoiseStream noise(seed, RandomPurpose::sampler_noise, image_indices, example_shape,
                    langevin_noise_draw(settings.langevin_noise_shape, settings.noise_scale));
  const std::int64_t batch = initial.size(0);
  at::Tensor x = initial.clone();
  for (double sigma : settings.sigmas) {
    const at::Tensor level = at::full({batch}, sigma, at::kDouble);
    // The reference's convention: x + α s + √(2α) m z with α_i = ε σ_i²/σ_L², m = 1.
    const double alpha = settings.step == AldStep::annealed
                             ? settings.epsilon * (sigma / smallest_level) * (sigma / smallest_level)
                             : settings.epsilon;
    const double noise_factor = std::sqrt(2.0 * alpha) * (settings.noise_scale == AldNoiseScale::level ? sigma : 1.0);
    for (std::int64_t k = 0; k < settings.steps_per_level; ++k) {
      x = x + alpha * score(x, level) + noise_factor * to_device(noise.next(), x.options());
    }
  }
  if (settings.denoise) {
    const double variance = settings.denoise_noise_std * smallest_level * settings.denoise_noise_std * smallest_level;
    x = x + variance * score(x, at::full({batch}, smallest_level, at::kDouble));
  }
  return x;
}

}  // namespace scorch::evaluation
