#include "models/noise_levels.h"

#include "common/user_error.h"
#include "models/incomplete_gamma.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <cmath>
#include <vector>

namespace scorch::models {

at::Tensor geometric_noise_levels(double sigma_max, double sigma_min, std::int64_t count) {
  if (!(sigma_min > 0.0) || !(sigma_max > sigma_min) || count < 2) {
    throw UserError(fmt::format("noise levels need 0 < sigmas.min < sigmas.max and sigmas.count >= 2 (got {}, {}, {})",
                                sigma_min, sigma_max, count));
  }
  return at::exp(at::linspace(std::log(sigma_max), std::log(sigma_min), count, at::kDouble));
}

double generalized_normal_length_quantile(std::int64_t dimension, double beta, double p) {
  const double n = static_cast<double>(dimension);
  const double c1 = std::exp(std::lgamma(3.0 / beta) - std::lgamma(1.0 / beta));
  const double c2 = std::exp(std::lgamma(5.0 / beta) - std::lgamma(1.0 / beta)) - c1 * c1;
  const double alpha_squared = 2.0;  // the GN scale α = √2 of the noise at σ = 1
  const double mean = n * alpha_squared * c1, variance = n * alpha_squared * alpha_squared * c2;
  const double shape = mean * mean / variance, scale = variance / mean;
  return scale * gamma_quantile(shape, p);
}

at::Tensor overlap_noise_levels(double sigma_max, double sigma_min, double delta, std::int64_t dimension, double beta) {
  if (!(sigma_min > 0.0) || !(sigma_max > sigma_min)) {
    throw UserError(fmt::format("noise levels need 0 < sigmas.min < sigmas.max (got {}, {})", sigma_min, sigma_max));
  }
  if (!(delta > 0.0 && delta < 1.0)) throw UserError(fmt::format("sigmas.delta must be in (0, 1), got {}", delta));
  const double ratio = std::sqrt(generalized_normal_length_quantile(dimension, beta, 0.5 * (1.0 + delta)) /
                                 generalized_normal_length_quantile(dimension, beta, 0.5 * (1.0 - delta)));
  const double steps = std::ceil(std::log(sigma_max / sigma_min) / std::log(ratio) - 1e-12);
  if (steps > 100000) {
    throw UserError(fmt::format("sigmas.scheme overlap would make {:.0f} levels (ratio {:.6g}); lower sigmas.delta",
                                steps + 1, ratio));
  }
  std::vector<double> levels;
  for (std::int64_t k = static_cast<std::int64_t>(steps); k >= 0; --k) {
    levels.push_back(sigma_min * std::pow(ratio, static_cast<double>(k)));
  }
  return at::tensor(levels, at::kDouble);
}

}  // namespace scorch::models
