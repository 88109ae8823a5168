#pragma once
#include "models/noise_family.h"

namespace scorch::models {

// ξ ~ N(0, 1): the perturbation at level σ is N(0, σ²).
class GaussianNoise final : public NoiseFamily {
 public:
  std::string name() const override { return "gaussian"; }
  at::Tensor sample(at::IntArrayRef shape, at::Generator& generator, const at::TensorOptions& options) const override;
  at::Tensor log_density(const at::Tensor& displacement, const at::Tensor& level) const override;
  at::Tensor kernel_score(const at::Tensor& displacement, const at::Tensor& level) const override;
};

}  // namespace scorch::models
