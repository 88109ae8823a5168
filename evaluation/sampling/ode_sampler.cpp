#include "evaluation/sampling/ode_sampler.h"

#include "evaluation/sampling/prior_latents.h"
#include "common/user_error.h"
#include "models/sde.h"

#include <ATen/ATen.h>
#include <torch/torch.h>

namespace scorch::evaluation {

OdeSamples ode_sample(const models::Sde& sde, const models::ScoreFunction& score, const OdeSamplerSettings& settings,
                      const std::vector<std::int64_t>& example_shape, std::uint64_t seed,
                      const std::vector<std::int64_t>& image_indices, const at::TensorOptions& options) {
  return ode_sample(sde, score, settings, prior_latents(sde, example_shape, seed, image_indices, options));
}

OdeSamples ode_sample(const models::Sde& sde, const models::ScoreFunction& score, const OdeSamplerSettings& settings,
                      const at::Tensor& x_T) {
  if (settings.eps >= sde.T()) throw UserError("sampler.eps must lie below the SDE's T");
  torch::NoGradGuard no_grad;
  const OdeDrift drift = [&](const at::Tensor& x, const at::Tensor& t) {
    return sde.probability_flow_drift(x, t, score);
  };
  OdeSolution solution = solve_ode(drift, x_T, sde.T(), settings.eps, settings.ode);
  at::Tensor nfe = solution.nfe.to(at::kDouble);
  if (settings.denoise) {
    const at::Tensor t = at::full({x_T.size(0)}, settings.eps, at::kDouble);
    solution.x = sde.denoised_mean(solution.x, t, score(solution.x, t));
    nfe = nfe + 1.0;
  }
  return {solution.x, nfe};
}

}  // namespace scorch::evaluation
