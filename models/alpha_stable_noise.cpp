#include "models/alpha_stable_noise.h"

#include "common/user_error.h"
#include "models/gaussian_noise.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <cmath>
#include <limits>

namespace scorch::models {

at::Tensor sample_stable(double alpha, double skew, at::IntArrayRef shape, at::Generator& generator) {
  const at::TensorOptions cpu_double = at::TensorOptions().dtype(at::kDouble);
  const at::Tensor U = M_PI * (at::rand(shape, generator, cpu_double) - 0.5);
  // W ~ Exp(1), kept strictly positive so (cos(·)/W)^p stays finite.
  const at::Tensor W = -at::log(at::rand(shape, generator, cpu_double).clamp_min(std::numeric_limits<double>::min()));
  if (alpha == 1.0) {
    const double xi = M_PI / 2.0;
    const at::Tensor shifted = xi + skew * U;
    return (shifted * at::tan(U) - skew * at::log(xi * W * at::cos(U) / shifted)) / xi;
  }
  const double zeta = -skew * std::tan(M_PI * alpha / 2.0);
  const double xi = std::atan(-zeta) / alpha;
  const double prefactor = std::pow(1.0 + zeta * zeta, 1.0 / (2.0 * alpha));
  const at::Tensor angle = alpha * (U + xi);
  return prefactor * at::sin(angle) / at::pow(at::cos(U), 1.0 / alpha) *
         at::pow(at::cos(U - angle) / W, (1.0 - alpha) / alpha);
}

AlphaStableNoise::AlphaStableNoise(double alpha, bool isotropic, double max_subordinator)
    : alpha_(alpha), isotropic_(isotropic), max_subordinator_(max_subordinator) {
  if (!(alpha > 0.0 && alpha <= 2.0)) {
    throw UserError(fmt::format("alpha-stable index alpha must be in (0, 2] (got {})", alpha));
  }
  if (max_subordinator < 0.0) throw UserError("the clamp of the alpha-stable subordinator A must be >= 0 (0 = off)");
}

at::Tensor AlphaStableNoise::sample_subordinator(at::IntArrayRef shape, at::Generator& generator) const {
  const at::TensorOptions cpu_double = at::TensorOptions().dtype(at::kDouble);
  if (alpha_ == 2.0) return at::full(shape, 2.0, cpu_double);
  const double c_A = std::pow(std::cos(M_PI * alpha_ / 4.0), 2.0 / alpha_);
  const at::Tensor A = 2.0 * c_A * sample_stable(alpha_ / 2.0, 1.0, shape, generator);
  return max_subordinator_ > 0.0 ? A.clamp_max(max_subordinator_) : A;
}

at::Tensor AlphaStableNoise::sample(at::IntArrayRef shape, at::Generator& generator,
                                    const at::TensorOptions& options) const {
  const at::Tensor A = isotropic_ ? sample_subordinator({}, generator) : sample_subordinator(shape, generator);
  const at::Tensor G = at::randn(shape, generator, at::TensorOptions().dtype(at::kDouble));
  return (at::sqrt(A) * G).to(options);
}

void AlphaStableNoise::require_density() const {
  if (!has_density()) {
    throw UserError(fmt::format(
        "alpha-stable noise with alpha = {} has no closed-form density or DSM target; use the DLPM objective", alpha_));
  }
}

// At α = 2 the perturbation σ ε is N(0, 2σ²): a Gaussian at level √2 σ.
at::Tensor AlphaStableNoise::log_density(const at::Tensor& displacement, const at::Tensor& level) const {
  require_density();
  return GaussianNoise().log_density(displacement, std::sqrt(2.0) * level);
}

at::Tensor AlphaStableNoise::kernel_score(const at::Tensor& displacement, const at::Tensor& level) const {
  require_density();
  return GaussianNoise().kernel_score(displacement, std::sqrt(2.0) * level);
}

std::optional<double> AlphaStableNoise::gaussian_std() const {
  if (alpha_ == 2.0) return std::sqrt(2.0);
  return std::nullopt;
}

}  // namespace scorch::models
