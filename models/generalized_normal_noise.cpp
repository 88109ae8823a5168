#include "models/generalized_normal_noise.h"

#include "common/user_error.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <cmath>

namespace scorch::models {
namespace {
const double kStandardScale = std::sqrt(2.0);
// Smallest |d| fed to |d|^{β−1}: keeps the β < 1 target finite at d = 0.
constexpr double kDisplacementFloor = 1e-12;
}  // namespace

GeneralizedNormalNoise::GeneralizedNormalNoise(double shape_beta) : beta_(shape_beta) {
  if (!(shape_beta > 0.5) || !std::isfinite(shape_beta)) {
    throw UserError(fmt::format(
        "generalized-normal shape beta must be a finite number > 0.5 (got {}): for beta <= 0.5 the DSM target has "
        "infinite variance",
        shape_beta));
  }
}

at::Tensor GeneralizedNormalNoise::sample(at::IntArrayRef shape, at::Generator& generator,
                                          const at::TensorOptions& options) const {
  const at::TensorOptions cpu_double = at::TensorOptions().dtype(at::kDouble);
  const at::Tensor gamma = at::_standard_gamma(at::full(shape, 1.0 / beta_, cpu_double), generator);
  const at::Tensor sign = at::where(at::rand(shape, generator, cpu_double) < 0.5, -1.0, 1.0);
  const at::Tensor x = kStandardScale * sign * at::pow(gamma, 1.0 / beta_);
  return x.to(options);
}

at::Tensor GeneralizedNormalNoise::log_density(const at::Tensor& displacement, const at::Tensor& level) const {
  const at::Tensor alpha = kStandardScale * level;
  return std::log(beta_ / 2.0) - std::lgamma(1.0 / beta_) - at::log(alpha) - at::pow(displacement.abs() / alpha, beta_);
}

at::Tensor GeneralizedNormalNoise::kernel_score(const at::Tensor& displacement, const at::Tensor& level) const {
  const at::Tensor alpha = kStandardScale * level;
  const at::Tensor magnitude = at::pow(displacement.abs().clamp_min(kDisplacementFloor), beta_ - 1.0);
  return -beta_ / at::pow(alpha, beta_) * at::sign(displacement) * magnitude;
}

double GeneralizedNormalNoise::variance(double scale_alpha, double shape_beta) {
  return scale_alpha * scale_alpha * std::exp(std::lgamma(3.0 / shape_beta) - std::lgamma(1.0 / shape_beta));
}

}  // namespace scorch::models
