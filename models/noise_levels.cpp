#include "models/noise_levels.h"

#include "common/user_error.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <cmath>

namespace scorch::models {

at::Tensor geometric_noise_levels(double sigma_max, double sigma_min, std::int64_t count) {
  if (!(sigma_min > 0.0) || !(sigma_max > sigma_min) || count < 2) {
    throw UserError(fmt::format("noise levels need 0 < sigmas.min < sigmas.max and sigmas.count >= 2 (got {}, {}, {})",
                                sigma_min, sigma_max, count));
  }
  return at::exp(at::linspace(std::log(sigma_max), std::log(sigma_min), count, at::kDouble));
}

}  // namespace scorch::models
