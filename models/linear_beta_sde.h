#pragma once
#include "models/sde.h"

namespace scorch::models {

// The VP and subVP SDEs share β(t) = β_min + t(β_max − β_min), its integral
// B(t) = β_min t + ½(β_max − β_min) t², the drift −½β(t)x and a_t = e^{−B/2};
// they differ in g² and σ_t.
class LinearBetaSde : public Sde {
 public:
  LinearBetaSde(double beta_min, double beta_max, double T, std::int64_t num_steps);

  double beta_min() const { return beta_min_; }
  double beta_max() const { return beta_max_; }
  at::Tensor beta(const at::Tensor& t) const;
  at::Tensor integrated_beta(const at::Tensor& t) const;
  // The t ≥ 0 with B(t) = B, solved without cancellation.
  at::Tensor time_of_integrated_beta(const at::Tensor& B) const;

  at::Tensor mean_coeff(const at::Tensor& t) const override;
  at::Tensor drift_coeff(const at::Tensor& t) const override;
  double prior_std() const override { return 1.0; }

 private:
  double beta_min_;
  double beta_max_;
};

// Variance preserving: g² = β(t), σ_t = √(1 − e^{−B}).
class VpSde final : public LinearBetaSde {
 public:
  VpSde(double beta_min, double beta_max, double T = 1.0, std::int64_t num_steps = 1000);
  static constexpr const char* kName = "vp";
  std::string name() const override { return kName; }
  at::Tensor marginal_std(const at::Tensor& t) const override;
  at::Tensor diffusion_squared(const at::Tensor& t) const override;
  // F(t) = ln(e^{B(t)} − 1).
  at::Tensor proposal_antiderivative(const at::Tensor& t) const override;
  at::Tensor proposal_antiderivative_inverse(const at::Tensor& F) const override;
  // DDPM: x_{i} = √α_i x_{i−1} + √β_i z.
  DiscreteStep discretize(const at::Tensor& x, const at::Tensor& t) const override;
  DiscreteStep discretize_interval(const at::Tensor& x, const at::Tensor& t, double dt) const override;
  // DDPM's posterior: mean (x + β s)/√(1 − β), std √β.
  bool has_ancestral_step() const override { return true; }
  ReverseStep ancestral_step(const at::Tensor& x, const at::Tensor& t, double dt, const at::Tensor& score) const override;
  at::Tensor langevin_step_scale(const at::Tensor& x, const at::Tensor& t, double dt) const override;
  const DdpmChain& chain() const { return chain_; }

 private:
  DdpmChain chain_;
};

// Sub-variance preserving: g² = β(t)(1 − e^{−2B}), σ_t = 1 − e^{−B}.
class SubVpSde final : public LinearBetaSde {
 public:
  SubVpSde(double beta_min, double beta_max, double T = 1.0, std::int64_t num_steps = 1000);
  static constexpr const char* kName = "subvp";
  std::string name() const override { return kName; }
  at::Tensor marginal_std(const at::Tensor& t) const override;
  at::Tensor diffusion_squared(const at::Tensor& t) const override;
  // F(t) = 2 ln(e^{B} − 1) − B = 2 ln(2 sinh(B/2)).
  at::Tensor proposal_antiderivative(const at::Tensor& t) const override;
  at::Tensor proposal_antiderivative_inverse(const at::Tensor& F) const override;
};

}  // namespace scorch::models
