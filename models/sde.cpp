#include "models/sde.h"

#include <ATen/ATen.h>

#include <cmath>
#include <stdexcept>

namespace scorch::models {
namespace {
at::Tensor as_double(const at::Tensor& t) { return t.to(at::kDouble); }
}  // namespace

Sde::Sde(double T, std::int64_t num_steps) : T_(T), grid_(num_steps, T) {}

at::Tensor Sde::diffusion(const at::Tensor& t) const { return at::sqrt(diffusion_squared(t)); }

at::Tensor Sde::marginal_variance(const at::Tensor& t) const { return marginal_std(t).square(); }

at::Tensor Sde::drift(const at::Tensor& x, const at::Tensor& t) const {
  return per_example_factor(drift_coeff(as_double(t)), x) * x;
}

at::Tensor Sde::drift_divergence(const at::Tensor& t, std::int64_t dim) const {
  return drift_coeff(as_double(t)) * static_cast<double>(dim);
}

at::Tensor Sde::perturb(const at::Tensor& x0, const at::Tensor& t, const at::Tensor& z) const {
  return per_example_factor(mean_coeff(t), x0) * x0 + per_example_factor(marginal_std(t), x0) * z;
}

at::Tensor Sde::kernel_score(const at::Tensor& xt, const at::Tensor& x0, const at::Tensor& t) const {
  return -(xt - per_example_factor(mean_coeff(t), x0) * x0) / per_example_factor(marginal_variance(t), xt);
}

at::Tensor Sde::sample_prior(at::IntArrayRef shape, at::Generator& generator, const at::TensorOptions& options) const {
  const at::Tensor z = at::randn(shape, generator, options.device(at::kCPU));
  return (z * prior_std()).to(options.device());
}

at::Tensor Sde::prior_log_prob(const at::Tensor& x) const {
  const at::Tensor flat = x.to(at::kDouble).reshape({x.size(0), -1});
  const double dim = static_cast<double>(flat.size(1));
  const double variance = prior_std() * prior_std();
  return -0.5 * dim * std::log(2.0 * M_PI * variance) - flat.square().sum(1) / (2.0 * variance);
}

double Sde::prior_entropy(std::int64_t dim) const {
  return 0.5 * static_cast<double>(dim) * (1.0 + std::log(2.0 * M_PI * prior_std() * prior_std()));
}

at::Tensor Sde::reverse_drift(const at::Tensor& x, const at::Tensor& t, const ScoreFunction& score) const {
  return drift(x, t) - per_example_factor(diffusion_squared(as_double(t)), x) * score(x, t);
}

at::Tensor Sde::probability_flow_drift(const at::Tensor& x, const at::Tensor& t, const ScoreFunction& score) const {
  return drift(x, t) - 0.5 * per_example_factor(diffusion_squared(as_double(t)), x) * score(x, t);
}

at::Tensor Sde::log_snr(const at::Tensor& t) const {
  return 2.0 * (at::log(mean_coeff(t)) - at::log(marginal_std(t)));
}

at::Tensor Sde::time_of_log_snr(const at::Tensor& lambda) const {
  // Each SDE here ties its drift and diffusion to its kernel, g² = dσ²/dt − 2fσ²
  // with f = d log a/dt, so g²/σ² = −dλ/dt: the proposal's antiderivative F is
  // −λ plus a constant, and F⁻¹ inverts λ in closed form (docs/conventions.md §1).
  const at::Tensor T = at::full({1}, this->T(), at::kDouble);
  const double offset = (proposal_antiderivative(T) + log_snr(T)).item<double>();
  return proposal_antiderivative_inverse(offset - lambda.to(at::kDouble));
}

at::Tensor Sde::denoised_mean(const at::Tensor& x, const at::Tensor& t, const at::Tensor& score) const {
  return (x + per_example_factor(marginal_variance(t), x) * score) / per_example_factor(mean_coeff(t), x);
}

DiscreteStep Sde::discretize_interval(const at::Tensor& x, const at::Tensor& t, double dt) const {
  return {drift(x, t) * dt, diffusion(as_double(t)) * std::sqrt(dt)};
}

ReverseStep Sde::ancestral_step(const at::Tensor&, const at::Tensor&, double, const at::Tensor&) const {
  throw std::logic_error("the " + name() + " SDE has no ancestral step");
}

at::Tensor Sde::langevin_step_scale(const at::Tensor& x, const at::Tensor&, double) const {
  return at::ones({x.size(0)}, at::kDouble);
}

DiscreteStep Sde::discretize(const at::Tensor& x, const at::Tensor& t) const {
  const double dt = T_ / static_cast<double>(grid_.num_steps());
  return {drift(x, t) * dt, diffusion(as_double(t)) * std::sqrt(dt)};
}

}  // namespace scorch::models
