#include "evaluation/sampling/ode_encoder.h"

#include "common/user_error.h"
#include "models/sde.h"

#include <ATen/ATen.h>
#include <torch/torch.h>

namespace scorch::evaluation {

OdeSamples ode_encode(const models::Sde& sde, const models::ScoreFunction& score, const OdeSamplerSettings& settings,
                      const at::Tensor& x_0) {
  if (!(settings.eps > 0.0 && settings.eps < sde.T())) throw UserError("sampler.eps must lie in (0, T)");
  torch::NoGradGuard no_grad;
  const OdeDrift drift = [&](const at::Tensor& x, const at::Tensor& t) {
    return sde.probability_flow_drift(x, t, score);
  };
  const OdeSolution solution = solve_ode(drift, x_0, settings.eps, sde.T(), settings.ode);
  return {solution.x, solution.nfe.to(at::kDouble)};
}

}  // namespace scorch::evaluation
