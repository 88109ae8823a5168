#include "evaluation/annealed_langevin.h"

#include "common/gaussian_stream.h"
#include "common/user_error.h"

#include <ATen/ATen.h>
#include <torch/torch.h>

#include <cmath>

namespace scorch::evaluation {

at::Tensor annealed_langevin(const models::ScoreFunction& score, const at::Tensor& initial, const AldSettings& settings,
                             std::uint64_t seed, const std::vector<std::int64_t>& image_indices) {
  if (settings.sigmas.empty()) throw UserError("annealed Langevin needs at least one noise level");
  if (settings.steps_per_level < 1 || settings.epsilon <= 0.0) {
    throw UserError("annealed Langevin needs positive steps per level and step size epsilon");
  }
  if (initial.size(0) != static_cast<std::int64_t>(image_indices.size())) {
    throw std::logic_error("annealed_langevin: one image index per initial sample");
  }
  torch::NoGradGuard no_grad;
  const std::vector<std::int64_t> example_shape(initial.sizes().begin() + 1, initial.sizes().end());
  GaussianStream noise(seed, RandomPurpose::sampler_noise, image_indices, example_shape);
  const std::int64_t batch = initial.size(0);
  const double smallest = settings.sigmas.back();
  at::Tensor x = initial.clone();
  for (double sigma : settings.sigmas) {
    const at::Tensor level = at::full({batch}, sigma, at::kDouble);
    // The reference's convention: x + α s + √(2α) z with α_i = ε σ_i²/σ_L².
    const double alpha = settings.epsilon * (sigma / smallest) * (sigma / smallest);
    for (std::int64_t k = 0; k < settings.steps_per_level; ++k) {
      x = x + alpha * score(x, level) + std::sqrt(2.0 * alpha) * noise.next().to(x.options());
    }
  }
  if (settings.denoise) x = x + smallest * smallest * score(x, at::full({batch}, smallest, at::kDouble));
  return x;
}

}  // namespace scorch::evaluation
