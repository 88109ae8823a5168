#pragma once
#include "models/noise_family.h"

namespace scorch::models {

// Generalised normal GN(0, α, β) with density β/(2αΓ(1/β)) exp(−(|x|/α)^β)
// (docs/conventions.md §5). Standard noise is GN(0, √2, β), so the perturbation at
// level σ has scale α = √2 σ and β = 2 is exactly N(0, σ²). β = 1 is Laplace.
// β ≤ ½ is refused: the DSM target then has infinite variance.
class GeneralizedNormalNoise final : public NoiseFamily {
 public:
  explicit GeneralizedNormalNoise(double shape_beta);
  static constexpr const char* kName = "generalized_normal";
  std::string name() const override { return kName; }
  std::optional<double> generalized_normal_shape() const override { return beta_; }
  double shape() const { return beta_; }

  // x = α s G^{1/β} with s = ±1 and G ~ Gamma(1/β, 1), α = √2.
  at::Tensor sample(at::IntArrayRef shape, at::Generator& generator, const at::TensorOptions& options) const override;
  at::Tensor log_density(const at::Tensor& displacement, const at::Tensor& level) const override;
  // −β/α^β · sign(d) |d|^{β−1} with α = √2 σ; |d| is floored so β < 1 stays finite at d = 0.
  at::Tensor kernel_score(const at::Tensor& displacement, const at::Tensor& level) const override;

  // Var of GN(0, α, β) = α² Γ(3/β)/Γ(1/β).
  static double variance(double scale_alpha, double shape_beta);

 private:
  double beta_;
};

}  // namespace scorch::models
