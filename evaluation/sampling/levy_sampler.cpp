#include "evaluation/sampling/levy_sampler.h"

#include "common/noise_stream.h"
#include "common/random_stream.h"
#include "common/user_error.h"
#include "models/alpha_stable_noise.h"
#include "models/alpha_stable_schedule.h"

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <torch/torch.h>

namespace scorch::evaluation {
namespace {

// The subordinators A_0 … A_n per image: A_t (t ≥ 1) drives the chain's
// variance Σ_t; A_n scales the initial noise. [n + 1, B, 1] when isotropic,
// [n + 1, B, D] otherwise, float64 on the CPU. A_0 is multiplied by σ_0 = 0.
at::Tensor draw_subordinators(const LevySamplerSettings& settings, std::int64_t numel, std::uint64_t seed,
                              const std::vector<std::int64_t>& image_indices) {
  const models::AlphaStableNoise noise(settings.chain.alpha, settings.chain.isotropic, settings.clamp_a);
  const std::int64_t per_step = settings.chain.isotropic ? 1 : numel;
  const at::Tensor a = draw_per_example({seed, RandomPurpose::sampler_noise, 1}, image_indices, [&](at::Generator& generator) {
    return noise.sample_subordinator({settings.chain.steps + 1, per_step}, generator);
  });
  return a.transpose(0, 1).contiguous();
}

// Σ_t = σ_t² A_t + γ_t² Σ_{t−1} with Σ_0 = 0: the variance of Y_t given A_{1:t} (x_0 fixed).
at::Tensor chain_variances(const models::AlphaStableSchedule& schedule, const at::Tensor& subordinators) {
  std::vector<at::Tensor> variances{at::zeros_like(subordinators[0])};
  for (std::int64_t t = 1; t < schedule.steps(); ++t) {
    const double sigma = schedule.sigma(t), gamma = schedule.gamma(t);
    variances.push_back(sigma * sigma * subordinators[t] + gamma * gamma * variances.back());
  }
  return at::stack(variances);
}

void validate(const LevySamplerSettings& settings) {
  if (settings.chain.steps < 2) throw UserError(fmt::format("the DLPM/DLIM chain needs at least 2 steps (got {})", settings.chain.steps));
  if (settings.clamp_a < 0.0 || settings.clamp_eps < 0.0 || settings.clamp_samples < 0.0) {
    throw UserError("DLPM clamps must be non-negative (0 = off)");
  }
}

}  // namespace

at::Tensor levy_sample(const NoisePredictor& predict_noise, const LevySamplerSettings& settings,
                       const std::vector<std::int64_t>& example_shape, std::uint64_t seed,
                       const std::vector<std::int64_t>& image_indices, const at::TensorOptions& options) {
  validate(settings);
  torch::NoGradGuard no_grad;
  const models::AlphaStableSchedule schedule(settings.chain.alpha, settings.chain.steps);
  const std::int64_t batch = static_cast<std::int64_t>(image_indices.size());
  std::int64_t numel = 1;
  for (std::int64_t n : example_shape) numel *= n;
  std::vector<std::int64_t> batch_shape = example_shape;
  batch_shape.insert(batch_shape.begin(), batch);

  const at::Tensor subordinators = draw_subordinators(settings, numel, seed, image_indices);
  NoiseStream gaussian(seed, RandomPurpose::sampler_noise, image_indices, example_shape);
  // [B, D] or [B, 1] float64 coefficients broadcast over the flattened example.
  const auto like_y = [&](const at::Tensor& coefficient) { return coefficient.to(options.device(), options.dtype()); };
  const auto flat = [&](const at::Tensor& x) { return x.reshape({batch, -1}); };

  const std::int64_t last = settings.chain.steps - 1;
  at::Tensor initial_noise = at::sqrt(subordinators[settings.chain.steps]) * flat(gaussian.next());
  if (settings.clamp_eps > 0.0) initial_noise = initial_noise.clamp(-settings.clamp_eps, settings.clamp_eps);
  at::Tensor y = (schedule.cumulative_sigma(last) * initial_noise).to(options);
  const at::Tensor variances = settings.process == LevyReverse::dlpm ? chain_variances(schedule, subordinators) : at::Tensor();

  for (std::int64_t t = last; t >= 1; --t) {
    const at::Tensor tau = at::full({batch}, models::AlphaStableSchedule::time_of_index(t, settings.chain.steps), at::kDouble);
    const at::Tensor eps_hat = flat(predict_noise(y.reshape(batch_shape), tau));
    const double gamma = schedule.gamma(t), bar_sigma = schedule.cumulative_sigma(t);
    if (settings.process == LevyReverse::dlim) {
      y = (y - bar_sigma * eps_hat) / gamma + schedule.cumulative_sigma(t - 1) * eps_hat;
      continue;
    }
    // Γ_t = 1 − γ_t² Σ_{t−1}/Σ_t ∈ [0, 1]; the posterior is N(m, Γ_t Σ_{t−1}).
    const at::Tensor previous = variances[t - 1];
    const at::Tensor share = 1.0 - gamma * gamma * previous / variances[t];
    y = (y - bar_sigma * like_y(share) * eps_hat) / gamma;
    if (t > 1) y = y + like_y(at::sqrt(share * previous) * flat(gaussian.next()));
  }
  if (settings.clamp_samples > 0.0) y = y.clamp(-settings.clamp_samples, settings.clamp_samples);
  return y.reshape(batch_shape);
}

}  // namespace scorch::evaluation
