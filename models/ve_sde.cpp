#include "models/ve_sde.h"

#include "common/user_error.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <cmath>

namespace scorch::models {

VeSde::VeSde(double sigma_min, double sigma_max, double T, std::int64_t num_steps)
    : Sde(T, num_steps), sigma_min_(sigma_min), sigma_max_(sigma_max), log_ratio_(std::log(sigma_max / sigma_min)) {
  if (!(sigma_min > 0.0) || !(sigma_max > sigma_min)) {
    throw UserError(fmt::format("VE SDE needs 0 < sigma_min < sigma_max (got {} and {})", sigma_min, sigma_max));
  }
  discrete_sigmas_ = smld_sigmas(sigma_min, sigma_max, num_steps);
}

at::Tensor VeSde::mean_coeff(const at::Tensor& t) const { return at::ones_like(t, t.options().dtype(at::kDouble)); }

at::Tensor VeSde::marginal_std(const at::Tensor& t) const {
  return sigma_min_ * at::exp(t.to(at::kDouble) * log_ratio_);
}

at::Tensor VeSde::diffusion_squared(const at::Tensor& t) const {
  return marginal_std(t).square() * (2.0 * log_ratio_);
}

at::Tensor VeSde::drift_coeff(const at::Tensor& t) const { return at::zeros_like(t, t.options().dtype(at::kDouble)); }

// g²/σ² = 2 ln(σ_max/σ_min) is constant: the proposal is uniform.
at::Tensor VeSde::proposal_antiderivative(const at::Tensor& t) const { return t.to(at::kDouble) * (2.0 * log_ratio_); }

at::Tensor VeSde::proposal_antiderivative_inverse(const at::Tensor& F) const {
  return F.to(at::kDouble) / (2.0 * log_ratio_);
}

DiscreteStep VeSde::discretize_interval(const at::Tensor& x, const at::Tensor& t, double dt) const {
  // σ(t)² − σ(t − dt)², with σ = 0 before time 0 as at the chain's first index.
  const at::Tensor t64 = t.to(at::kDouble);
  const at::Tensor earlier = t64 - dt;
  const at::Tensor previous = at::where(earlier > 0, marginal_std(earlier.clamp_min(0.0)), at::zeros_like(t64));
  return {at::zeros_like(x), at::sqrt(marginal_std(t64).square() - previous.square())};
}

ReverseStep VeSde::ancestral_step(const at::Tensor& x, const at::Tensor& t, double dt, const at::Tensor& score) const {
  const at::Tensor G2 = discretize_interval(x, t, dt).G.square();
  const at::Tensor sigma2 = marginal_std(t).square();
  const at::Tensor previous2 = (sigma2 - G2).clamp_min(0.0);
  return {x + per_example_factor(G2, x) * score, at::sqrt(previous2 * G2 / sigma2)};
}

DiscreteStep VeSde::discretize(const at::Tensor& x, const at::Tensor& t) const {
  const at::Tensor index = grid().index_of(t);
  const at::Tensor sigmas = discrete_sigmas_.to(index.device());
  const at::Tensor sigma = sigmas.index({index});
  const at::Tensor previous = at::where(index > 0, sigmas.index({(index - 1).clamp_min(0)}), at::zeros_like(sigma));
  return {at::zeros_like(x), at::sqrt(sigma.square() - previous.square())};
}

}  // namespace scorch::models
