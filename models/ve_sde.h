#pragma once
#include "models/sde.h"

namespace scorch::models {

// Variance exploding: σ(t) = σ_min (σ_max/σ_min)^t, a_t = 1, g² = σ(t)² · 2 ln(σ_max/σ_min).
// The kernel std is σ(t) itself, not √(σ(t)² − σ_min²), as in the reference code.
class VeSde final : public Sde {
 public:
  VeSde(double sigma_min, double sigma_max, double T = 1.0, std::int64_t num_steps = 1000);

  static constexpr const char* kName = "ve";
  std::string name() const override { return kName; }
  bool variance_exploding() const override { return true; }
  double sigma_min() const { return sigma_min_; }
  double sigma_max() const { return sigma_max_; }
  at::Tensor mean_coeff(const at::Tensor& t) const override;
  at::Tensor marginal_std(const at::Tensor& t) const override;
  at::Tensor diffusion_squared(const at::Tensor& t) const override;
  at::Tensor drift_coeff(const at::Tensor& t) const override;
  double prior_std() const override { return sigma_max_; }
  double reference_sampling_eps() const override { return 1e-5; }
  at::Tensor proposal_antiderivative(const at::Tensor& t) const override;
  at::Tensor proposal_antiderivative_inverse(const at::Tensor& F) const override;
  // SMLD: x_{i} = x_{i-1} + √(σ_i² − σ_{i−1}²) z, with σ_{−1} = 0.
  DiscreteStep discretize(const at::Tensor& x, const at::Tensor& t) const override;
  DiscreteStep discretize_interval(const at::Tensor& x, const at::Tensor& t, double dt) const override;
  // SMLD's posterior: mean x + G² s, std √(σ_{i−1}² G² / σ_i²).
  bool has_ancestral_step() const override { return true; }
  ReverseStep ancestral_step(const at::Tensor& x, const at::Tensor& t, double dt, const at::Tensor& score) const override;
  const at::Tensor& discrete_sigmas() const { return discrete_sigmas_; }

 private:
  double sigma_min_;
  double sigma_max_;
  double log_ratio_;  // ln(σ_max/σ_min)
  at::Tensor discrete_sigmas_;
};

}  // namespace scorch::models
