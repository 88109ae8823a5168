#include "models/gaussian_noise.h"

#include <ATen/ATen.h>

#include <cmath>

namespace scorch::models {

at::Tensor GaussianNoise::sample(at::IntArrayRef shape, at::Generator& generator, const at::TensorOptions& options) const {
  return at::randn(shape, generator, options.device(at::kCPU)).to(options.device());
}

at::Tensor GaussianNoise::log_density(const at::Tensor& displacement, const at::Tensor& level) const {
  return -0.5 * (displacement / level).square() - at::log(level) - 0.5 * std::log(2.0 * M_PI);
}

at::Tensor GaussianNoise::kernel_score(const at::Tensor& displacement, const at::Tensor& level) const {
  return -displacement / level.square();
}

}  // namespace scorch::models
