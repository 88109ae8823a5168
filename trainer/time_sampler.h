#pragma once
// Diffusion-time samplers on [ε, T]. Each maps uniform u ∈ [0, 1) to t, so the
// randomness stays in per-example streams (see common/random_stream.h).
#include "common/random_stream.h"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace scorch::models {
class Sde;
}

namespace scorch::trainer {

class TimeSampler {
 public:
  TimeSampler(double eps, double T);
  virtual ~TimeSampler() = default;
  double eps() const { return eps_; }
  double T() const { return T_; }

  // t(u), float64, same shape and device as u.
  virtual at::Tensor from_uniform(const at::Tensor& u) const = 0;
  // Density of t on [ε, T], float64.
  virtual at::Tensor density(const at::Tensor& t) const = 0;

  // One t per global example index, from the (seed, training_time, step) stream.
  at::Tensor sample(std::uint64_t seed, std::uint64_t step, const std::vector<std::int64_t>& global_indices) const;

 private:
  double eps_;
  double T_;
};

class UniformTimeSampler final : public TimeSampler {
 public:
  using TimeSampler::TimeSampler;
  at::Tensor from_uniform(const at::Tensor& u) const override;
  at::Tensor density(const at::Tensor& t) const override;
};

// p(t) ∝ g(t)²/σ_t² on [ε, T] (thesis §9.5.1). With this proposal the
// likelihood-weighted DSM integrand has the constant importance weight Z.
class LikelihoodImportanceSampler final : public TimeSampler {
 public:
  enum class Inversion { closed_form, bisection };

  LikelihoodImportanceSampler(const models::Sde& sde, double eps, Inversion inversion = Inversion::closed_form);

  // Z = ∫_ε^T g²/σ² dt.
  double normalizer() const { return normalizer_; }
  // W(t)/Z = (F(t) − F(ε))/Z: the proposal's CDF.
  at::Tensor cdf(const at::Tensor& t) const;
  at::Tensor from_uniform(const at::Tensor& u) const override;
  at::Tensor density(const at::Tensor& t) const override;

 private:
  at::Tensor invert_by_bisection(const at::Tensor& u) const;

  const models::Sde& sde_;
  Inversion inversion_;
  double antiderivative_at_eps_;
  double normalizer_;
};

}  // namespace scorch::trainer
