#include "evaluation/sampling/edm_sampler.h"

#include "common/device_copy.h"
#include "common/user_error.h"
#include "evaluation/sampling/data_prediction.h"
#include "evaluation/sampling/prior_latents.h"
#include "models/sde.h"

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>

namespace scorch::evaluation {
namespace {

void check(const models::Sde& sde, const EdmSettings& settings) {
  if (settings.steps < 1) throw UserError("the EDM sampler needs at least one step (sampler.edm.steps)");
  if (!(settings.rho > 0.0)) throw UserError("sampler.edm.rho must be positive");
  if (!(settings.eps > 0.0 && settings.eps < sde.T())) throw UserError("sampling eps must lie in (0, T)");
  if (settings.churn < 0.0 || settings.s_noise < 0.0) throw UserError("sampler.edm.churn and s_noise must be >= 0");
}

// σ̂ = σ_t/a_t = e^{−λ/2}.
double noise_ratio(const models::Sde& sde, double t) {
  const SchedulePoint point = schedule_point(sde, t);
  return point.sigma / point.a;
}

}  // namespace

EdmSettings edm_stochastic_defaults() {
  EdmSettings settings;
  settings.churn = 40.0;
  settings.s_min = 0.05;
  settings.s_max = 50.0;
  settings.s_noise = 1.003;
  return settings;
}

at::Tensor edm_noise_ratio_grid(const models::Sde& sde, const EdmSettings& settings) {
  check(sde, settings);
  const double inverse_rho = 1.0 / settings.rho;
  const double high = std::pow(noise_ratio(sde, sde.T()), inverse_rho);
  const double low = std::pow(noise_ratio(sde, settings.eps), inverse_rho);
  std::vector<double> grid(static_cast<std::size_t>(settings.steps + 1), 0.0);
  const double last = static_cast<double>(std::max<std::int64_t>(settings.steps - 1, 1));
  for (std::int64_t i = 0; i < settings.steps; ++i) {
    grid[static_cast<std::size_t>(i)] = std::pow(high + static_cast<double>(i) / last * (low - high), settings.rho);
  }
  return at::tensor(grid, at::kDouble);
}

std::int64_t edm_function_evaluations(const EdmSettings& settings) {
  return 2 * settings.steps - (settings.denoise ? 1 : 2);
}

at::Tensor edm_sample(const models::Sde& sde, const models::ScoreFunction& score, const EdmSettings& settings,
                      const at::Tensor& x_T, std::uint64_t seed, const std::vector<std::int64_t>& image_indices) {
  const at::Tensor grid_tensor = edm_noise_ratio_grid(sde, settings);
  const std::vector<double> grid(grid_tensor.data_ptr<double>(), grid_tensor.data_ptr<double>() + grid_tensor.numel());
  torch::NoGradGuard no_grad;
  const std::vector<std::int64_t> example_shape(x_T.sizes().begin() + 1, x_T.sizes().end());
  NoiseStream noise = sampler_noise_after_prior(seed, image_indices, example_shape);
  // D(x̂; σ̂): the network sees x = a x̂ at the time whose noise ratio is σ̂.
  const auto denoised = [&](const at::Tensor& x_hat, double ratio) {
    const double t = time_of_log_snr(sde, -2.0 * std::log(ratio));
    const double a = schedule_point(sde, t).a;
    return data_prediction(sde, score, a * x_hat, t);
  };
  const double gamma = std::min(settings.churn / static_cast<double>(settings.steps), std::sqrt(2.0) - 1.0);
  at::Tensor x_hat = x_T / schedule_point(sde, sde.T()).a;
  const double highest = grid.front();
  const std::int64_t steps = settings.denoise ? settings.steps : settings.steps - 1;
  for (std::int64_t i = 0; i < steps; ++i) {
    double ratio = grid[static_cast<std::size_t>(i)];
    const double next = grid[static_cast<std::size_t>(i) + 1];
    if (gamma > 0.0 && ratio >= settings.s_min && ratio <= settings.s_max && ratio < highest) {
      const double raised = std::min(ratio * (1.0 + gamma), highest);
      x_hat = x_hat + std::sqrt(raised * raised - ratio * ratio) * settings.s_noise * to_device(noise.next(), x_T.options());
      ratio = raised;
    }
    const at::Tensor slope = (x_hat - denoised(x_hat, ratio)) / ratio;
    at::Tensor x_next = x_hat + (next - ratio) * slope;
    // Heun's correction everywhere but the last step: at σ̂ = 0 the slope is
    // undefined, and the Euler step there is exactly the Tweedie denoising step.
    if (next > 0.0) {
      const at::Tensor slope_next = (x_next - denoised(x_next, next)) / next;
      x_next = x_hat + (next - ratio) * 0.5 * (slope + slope_next);
    }
    x_hat = x_next;
  }
  if (!settings.denoise) return x_hat * schedule_point(sde, settings.eps).a;
  return x_hat;
}

}  // namespace scorch::evaluation
