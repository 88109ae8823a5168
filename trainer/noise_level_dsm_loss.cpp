#include "trainer/noise_level_dsm_loss.h"

#include "common/device_copy.h"
#include "common/random_stream.h"
#include "common/user_error.h"
#include "models/noise_family.h"
#include "trainer/training_noise.h"

#include <ATen/ATen.h>

namespace scorch::trainer {

NoiseLevelDsmLoss::NoiseLevelDsmLoss(at::Tensor levels, std::shared_ptr<const models::NoiseFamily> family,
                                     double weight_power, NoiseDevice noise_device)
    : levels_(levels.to(at::kDouble)), noise_device_(noise_device), family_(std::move(family)),
      weight_power_(weight_power) {
  if (!family_->has_density()) {
    throw UserError("noise family '" + family_->name() + "' has no DSM target; multi-level DSM needs a density");
  }
  if (noise_device_ == NoiseDevice::device && !family_->gaussian_std()) {
    throw UserError("noise.device: " + std::string(row_of(noise_device_table(), noise_device_).name) +
                    " draws Gaussian noise only; noise family '" + family_->name() + "' needs noise.device: " +
                    row_of(noise_device_table(), NoiseDevice::host).name);
  }
}

NoiseLevelDsmLoss::Draw NoiseLevelDsmLoss::draw(std::uint64_t seed, std::uint64_t step,
                                                const std::vector<std::int64_t>& global_indices,
                                                const at::Tensor& x0) const {
  const std::int64_t count = levels_.size(0);
  const RandomKey level_key{seed, RandomPurpose::training_level, step};
  const at::Tensor index = draw_per_example(level_key, global_indices, [&](at::Generator& generator) {
    return at::randint(count, {}, generator, at::TensorOptions().dtype(at::kLong));
  });
  return {to_device(index, x0.device()), training_noise(*family_, noise_device_, seed, step, global_indices, x0)};
}

at::Tensor NoiseLevelDsmLoss::per_example_loss(const models::ScoreFunction& score, const at::Tensor& x0,
                                               const Draw& draw) const {
  const at::Tensor sigma = to_device(levels_, x0.device()).index({draw.level_index});
  const at::Tensor level = models::per_example_factor(sigma, x0);
  const at::Tensor displacement = level * draw.noise;
  const at::Tensor target = family_->kernel_score(displacement, level);
  const at::Tensor error = score(x0 + displacement, sigma) - target;
  // NCSN's weight multiplies before squaring, (σ r)², so that the default
  // rounds exactly as it always has; other powers weight the square.
  const at::Tensor weighted = weight_power_ == kNcsnWeightPower ? (level * error).square()
                                                                : level.pow(weight_power_) * error.square();
  return 0.5 * models::sum_per_example(weighted);
}

at::Tensor NoiseLevelDsmLoss::per_example_loss(const models::ScoreFunction& score, const at::Tensor& x0,
                                               std::uint64_t seed, std::uint64_t step,
                                               const std::vector<std::int64_t>& global_indices) const {
  return per_example_loss(score, x0, draw(seed, step, global_indices, x0));
}

}  // namespace scorch::trainer
