#include "evaluation/sampling/ddim_sampler.h"

#include "common/device_copy.h"
#include "common/user_error.h"
#include "evaluation/sampling/data_prediction.h"
#include "evaluation/sampling/prior_latents.h"
#include "models/sde.h"

#include <ATen/ATen.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>

namespace scorch::evaluation {

std::int64_t ddim_function_evaluations(const DdimSettings& settings) {
  return settings.steps + (settings.denoise ? 1 : 0);
}

at::Tensor ddim_sample(const models::Sde& sde, const models::ScoreFunction& score, const DdimSettings& settings,
                       const at::Tensor& x_T, std::uint64_t seed, const std::vector<std::int64_t>& image_indices) {
  if (settings.steps < 1) throw UserError("DDIM needs at least one step (sampler.ddim.steps)");
  if (!(settings.eps > 0.0 && settings.eps < sde.T())) throw UserError("sampling eps must lie in (0, T)");
  if (settings.eta < 0.0) throw UserError("sampler.ddim.eta must be >= 0");
  torch::NoGradGuard no_grad;
  const std::vector<std::int64_t> example_shape(x_T.sizes().begin() + 1, x_T.sizes().end());
  NoiseStream noise = sampler_noise_after_prior(seed, image_indices, example_shape);
  const double T = sde.T(), span = T - settings.eps;
  at::Tensor x = x_T;
  for (std::int64_t i = 0; i < settings.steps; ++i) {
    const double steps = static_cast<double>(settings.steps);
    const SchedulePoint now = schedule_point(sde, T - span * static_cast<double>(i) / steps);
    const SchedulePoint next = schedule_point(sde, i + 1 == settings.steps ? settings.eps
                                                                            : T - span * static_cast<double>(i + 1) / steps);
    const at::Tensor prediction = data_prediction(sde, score, x, now.t);
    const at::Tensor noise_estimate = (x - now.a * prediction) / now.sigma;
    const double shrink = now.a / next.a * next.sigma;
    // Clamped: rounding can make the posterior variance slightly negative when the step is tiny.
    const double c2 = std::max(0.0, settings.eta * settings.eta * next.sigma * next.sigma *
                                        (now.sigma * now.sigma - shrink * shrink) / (now.sigma * now.sigma));
    x = next.a * prediction + std::sqrt(std::max(0.0, next.sigma * next.sigma - c2)) * noise_estimate;
    if (c2 > 0.0) x = x + std::sqrt(c2) * to_device(noise.next(), x.options());
  }
  if (settings.denoise) x = data_prediction(sde, score, x, settings.eps);
  return x;
}

}  // namespace scorch::evaluation
