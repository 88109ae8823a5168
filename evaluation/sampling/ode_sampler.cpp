#include "evaluation/sampling/ode_sampler.h"

#include "common/noise_stream.h"
#include "common/user_error.h"
#include "models/sde.h"

#include <ATen/ATen.h>
#include <torch/torch.h>

namespace scorch::evaluation {

OdeSamples ode_sample(const models::Sde& sde, const models::ScoreFunction& score, const OdeSamplerSettings& settings,
                      const std::vector<std::int64_t>& example_shape, std::uint64_t seed,
                      const std::vector<std::int64_t>& image_indices, const at::TensorOptions& options) {
  if (settings.eps >= sde.T()) throw UserError("sampler.eps must lie below the SDE's T");
  torch::NoGradGuard no_grad;
  const std::int64_t batch = static_cast<std::int64_t>(image_indices.size());
  NoiseStream noise(seed, RandomPurpose::sampler_noise, image_indices, example_shape);
  const at::Tensor prior = (noise.next() * sde.prior_std()).to(options);
  const OdeDrift drift = [&](const at::Tensor& x, const at::Tensor& t) {
    return sde.probability_flow_drift(x, t, score);
  };
  OdeSolution solution = solve_ode(drift, prior, sde.T(), settings.eps, settings.ode);
  at::Tensor nfe = solution.nfe.to(at::kDouble);
  if (settings.denoise) {
    const at::Tensor t = at::full({batch}, settings.eps, at::kDouble);
    const at::Tensor& x = solution.x;
    solution.x = (x + models::per_example_factor(sde.marginal_variance(t), x) * score(x, t)) /
                 models::per_example_factor(sde.mean_coeff(t), x);
    nfe = nfe + 1.0;
  }
  return {solution.x, nfe};
}

}  // namespace scorch::evaluation
