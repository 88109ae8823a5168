#include "models/linear_beta_sde.h"

#include "common/user_error.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <cmath>

namespace scorch::models {

LinearBetaSde::LinearBetaSde(double beta_min, double beta_max, double T, std::int64_t num_steps)
    : Sde(T, num_steps), beta_min_(beta_min), beta_max_(beta_max) {
  if (!(beta_min > 0.0) || !(beta_max >= beta_min)) {
    throw UserError(fmt::format("VP/subVP SDE needs 0 < beta_min <= beta_max (got {} and {})", beta_min, beta_max));
  }
}

at::Tensor LinearBetaSde::beta(const at::Tensor& t) const {
  return beta_min_ + t.to(at::kDouble) * (beta_max_ - beta_min_);
}

at::Tensor LinearBetaSde::integrated_beta(const at::Tensor& t) const {
  const at::Tensor t64 = t.to(at::kDouble);
  return t64 * (beta_min_ + 0.5 * (beta_max_ - beta_min_) * t64);
}

at::Tensor LinearBetaSde::time_of_integrated_beta(const at::Tensor& B) const {
  // t = 2B / (β_min + √(β_min² + 2ΔB)): the rationalised root has no cancellation and allows Δ = 0.
  const at::Tensor B64 = B.to(at::kDouble);
  return 2.0 * B64 / (beta_min_ + at::sqrt(beta_min_ * beta_min_ + 2.0 * (beta_max_ - beta_min_) * B64));
}

at::Tensor LinearBetaSde::mean_coeff(const at::Tensor& t) const { return at::exp(-0.5 * integrated_beta(t)); }

at::Tensor LinearBetaSde::drift_coeff(const at::Tensor& t) const { return -0.5 * beta(t); }

VpSde::VpSde(double beta_min, double beta_max, double T, std::int64_t num_steps)
    : LinearBetaSde(beta_min, beta_max, T, num_steps), chain_(ddpm_chain(beta_min, beta_max, num_steps)) {}

at::Tensor VpSde::marginal_std(const at::Tensor& t) const { return at::sqrt(-at::expm1(-integrated_beta(t))); }

at::Tensor VpSde::diffusion_squared(const at::Tensor& t) const { return beta(t); }

at::Tensor VpSde::proposal_antiderivative(const at::Tensor& t) const { return at::log(at::expm1(integrated_beta(t))); }

at::Tensor VpSde::proposal_antiderivative_inverse(const at::Tensor& F) const {
  // e^B − 1 = e^F  ⇒  B = ln(1 + e^F), evaluated as a stable softplus.
  const at::Tensor F64 = F.to(at::kDouble);
  return time_of_integrated_beta(at::logaddexp(F64, at::zeros_like(F64)));
}

DiscreteStep VpSde::discretize_interval(const at::Tensor& x, const at::Tensor& t, double dt) const {
  // The DDPM step over [t − dt, t]: β = 1 − exp(−∫β), so the marginals stay exact.
  const at::Tensor t64 = t.to(at::kDouble);
  const at::Tensor beta_step = -at::expm1(-(integrated_beta(t64) - integrated_beta((t64 - dt).clamp_min(0.0))));
  return {per_example_factor(at::sqrt(1.0 - beta_step) - 1.0, x) * x, at::sqrt(beta_step)};
}

ReverseStep VpSde::ancestral_step(const at::Tensor& x, const at::Tensor& t, double dt, const at::Tensor& score) const {
  const at::Tensor G = discretize_interval(x, t, dt).G;
  const at::Tensor G2 = G.square();
  return {(x + per_example_factor(G2, x) * score) / per_example_factor(at::sqrt(1.0 - G2), x), G};
}

at::Tensor VpSde::langevin_step_scale(const at::Tensor& x, const at::Tensor& t, double dt) const {
  return 1.0 - discretize_interval(x, t, dt).G.square();
}

DiscreteStep VpSde::discretize(const at::Tensor& x, const at::Tensor& t) const {
  const at::Tensor index = grid().index_of(t);
  const at::Tensor beta_i = chain_.betas.to(index.device()).index({index});
  const at::Tensor alpha_i = chain_.alphas.to(index.device()).index({index});
  return {per_example_factor(at::sqrt(alpha_i) - 1.0, x) * x, at::sqrt(beta_i)};
}

SubVpSde::SubVpSde(double beta_min, double beta_max, double T, std::int64_t num_steps)
    : LinearBetaSde(beta_min, beta_max, T, num_steps) {}

at::Tensor SubVpSde::marginal_std(const at::Tensor& t) const { return -at::expm1(-integrated_beta(t)); }

at::Tensor SubVpSde::diffusion_squared(const at::Tensor& t) const {
  return beta(t) * -at::expm1(-2.0 * integrated_beta(t));
}

at::Tensor SubVpSde::proposal_antiderivative(const at::Tensor& t) const {
  return 2.0 * at::log(2.0 * at::sinh(0.5 * integrated_beta(t)));
}

at::Tensor SubVpSde::proposal_antiderivative_inverse(const at::Tensor& F) const {
  // 2 sinh(B/2) = e^{F/2}  ⇒  B = 2 asinh(e^{F/2}/2).
  return time_of_integrated_beta(2.0 * at::asinh(0.5 * at::exp(0.5 * F.to(at::kDouble))));
}

}  // namespace scorch::models
