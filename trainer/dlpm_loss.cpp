#include "trainer/dlpm_loss.h"

#include "common/device_copy.h"
#include "common/random_stream.h"
#include "common/user_error.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace scorch::trainer {

DlpmLoss::DlpmLoss(DlpmSettings settings)
    : settings_(settings),
      schedule_(settings.chain.alpha, settings.chain.steps),
      noise_(settings.chain.alpha, settings.chain.isotropic, settings.clamp_a) {
  if (settings_.draws < 1) throw UserError(fmt::format("DLPM needs at least 1 noise draw per example (got {})", settings_.draws));
  if (settings_.clamp_eps < 0.0) throw UserError("the DLPM noise clamp must be >= 0 (0 = off)");
}

DlpmLoss::Draw DlpmLoss::draw(std::uint64_t seed, std::uint64_t step, const std::vector<std::int64_t>& global_indices,
                              const at::Tensor& x0) const {
  const RandomKey time_key{seed, RandomPurpose::training_time, step};
  const at::Tensor t = draw_per_example(time_key, global_indices, [&](at::Generator& generator) {
    return at::randint(1, settings_.chain.steps, {}, generator, at::TensorOptions().dtype(at::kLong));
  });
  const RandomKey noise_key{seed, RandomPurpose::training_noise, step};
  const auto example_shape = x0.sizes().slice(1);
  at::Tensor noise = draw_per_example(noise_key, global_indices, [&](at::Generator& generator) {
    std::vector<at::Tensor> draws;
    for (std::int64_t m = 0; m < settings_.draws; ++m) draws.push_back(noise_.sample(example_shape, generator, at::kDouble));
    return at::stack(draws);
  });
  if (settings_.clamp_eps > 0.0) noise = noise.clamp(-settings_.clamp_eps, settings_.clamp_eps);
  noise = noise.transpose(0, 1).contiguous();  // [B, M, ...] -> [M, B, ...]
  return {to_device(t, x0.device()), to_device(noise, x0.options())};
}

at::Tensor DlpmLoss::per_example_loss(const models::ScoreFunction& predict_noise, const at::Tensor& x0,
                                      const Draw& draw) const {
  const std::int64_t batch = x0.size(0), draws = settings_.draws;
  const at::Tensor gamma = to_device(schedule_.cumulative_gammas(), x0.device()).index({draw.t});
  const at::Tensor sigma = to_device(schedule_.cumulative_sigmas(), x0.device()).index({draw.t});
  const at::Tensor tau = draw.t.to(at::kDouble) / static_cast<double>(settings_.chain.steps);
  // All M draws go through the network as one batch of M·B examples.
  const at::Tensor noise = draw.noise.flatten(0, 1);
  const at::Tensor clean = x0.expand(draw.noise.sizes()).flatten(0, 1);
  const at::Tensor y = models::per_example_factor(gamma.repeat({draws}), clean) * clean +
                       models::per_example_factor(sigma.repeat({draws}), noise) * noise;
  const at::Tensor error = predict_noise(y, tau.repeat({draws})) - noise;
  const double dimension = static_cast<double>(x0.numel() / std::max<std::int64_t>(batch, 1));
  const at::Tensor losses = (models::sum_per_example(error.square()).sqrt() / std::sqrt(dimension)).reshape({draws, batch});
  return draws == 1 ? losses[0] : std::get<0>(losses.median(0));
}

at::Tensor DlpmLoss::per_example_loss(const models::ScoreFunction& predict_noise, const at::Tensor& x0,
                                      std::uint64_t seed, std::uint64_t step,
                                      const std::vector<std::int64_t>& global_indices) const {
  return per_example_loss(predict_noise, x0, draw(seed, step, global_indices, x0));
}

}  // namespace scorch::trainer
