#include "trainer/sde_dsm_loss.h"

#include "common/device_copy.h"
#include "common/user_error.h"
#include "models/gaussian_noise.h"
#include "models/sde.h"
#include "trainer/training_noise.h"

#include <ATen/ATen.h>

namespace scorch::trainer {

SdeDsmLoss::SdeDsmLoss(const models::Sde& sde, SdeDsmSettings settings) : sde_(sde), settings_(settings) {
  if (settings.importance_sampling) {
    if (settings.weighting != Weighting::likelihood) {
      throw UserError("objective.time_sampling = importance needs objective.weighting = likelihood");
    }
    time_sampler_ = std::make_unique<LikelihoodImportanceSampler>(sde, settings.eps);
  } else {
    time_sampler_ = std::make_unique<UniformTimeSampler>(settings.eps, sde.T());
  }
}

SdeDsmLoss::Draw SdeDsmLoss::draw(std::uint64_t seed, std::uint64_t step,
                                  const std::vector<std::int64_t>& global_indices, const at::Tensor& x0) const {
  return {to_device(time_sampler_->sample(seed, step, global_indices), x0.device()),
          training_noise(models::GaussianNoise(), settings_.noise_device, seed, step, global_indices, x0)};
}

at::Tensor SdeDsmLoss::loss_weight(const at::Tensor& t) const {
  if (settings_.weighting == Weighting::original) return at::ones_like(t, t.options().dtype(at::kDouble));
  if (!settings_.importance_sampling) return sde_.diffusion_squared(t) / sde_.marginal_variance(t);
  const auto& sampler = static_cast<const LikelihoodImportanceSampler&>(*time_sampler_);
  const double constant = settings_.keep_importance_constant ? sampler.normalizer() / (sde_.T() - settings_.eps) : 1.0;
  return at::full_like(t, constant, t.options().dtype(at::kDouble));
}

at::Tensor SdeDsmLoss::per_example_loss(const models::ScoreFunction& score, const at::Tensor& x0,
                                        const Draw& draw) const {
  const at::Tensor xt = sde_.perturb(x0, draw.t, draw.z);
  const at::Tensor sigma = models::per_example_factor(sde_.marginal_std(draw.t), x0);
  const at::Tensor residual = (sigma * score(xt, draw.t) + draw.z).square();
  // score_sde's sum reduction is ½·sum (and its mean has no ½): the halving keeps our
  // VE losses and gradients equal to the reference's (docs/conventions.md §1).
  const at::Tensor reduced = settings_.reduction == Reduction::sum ? 0.5 * models::sum_per_example(residual)
                                                                   : models::mean_per_example(residual);
  return reduced * loss_weight(draw.t).to(reduced.options());
}

at::Tensor SdeDsmLoss::per_example_loss(const models::ScoreFunction& score, const at::Tensor& x0, std::uint64_t seed,
                                        std::uint64_t step, const std::vector<std::int64_t>& global_indices) const {
  return per_example_loss(score, x0, draw(seed, step, global_indices, x0));
}

}  // namespace scorch::trainer
