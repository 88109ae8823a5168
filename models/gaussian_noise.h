#pragma once
#include "models/noise_family.h"

namespace scorch::models {

// ξ ~ N(0, 1): the perturbation at level σ is N(0, σ²).
class GaussianNoise final : public NoiseFamily {
 public:
  static constexpr const char* kName = "gaussian";
  std::string name() const override { return kName; }
  std::optional<double> gaussian_std() const override { return 1.0; }
  std::optional<double> generalized_normal_shape() const override { return 2.0; }
  at::Tensor sample(at::IntArrayRef shape, at::Generator& generator, const at::TensorOptions& options) const override;
  at::Tensor log_density(const at::Tensor& displacement, const at::Tensor& level) const override;
  at::Tensor kernel_score(const at::Tensor& displacement, const at::Tensor& level) const override;
};

}  // namespace scorch::models
