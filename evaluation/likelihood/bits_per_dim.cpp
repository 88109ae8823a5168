#include "evaluation/likelihood/bits_per_dim.h"

#include <ATen/ATen.h>

#include <cmath>

namespace scorch::evaluation {

at::Tensor bits_per_dim(const at::Tensor& log_likelihood_nats, std::int64_t dim, data::PixelRange range) {
  const double offset = 8.0 + data::log2_range_jacobian(range);
  return -log_likelihood_nats.to(at::kDouble) / (static_cast<double>(dim) * std::log(2.0)) + offset;
}

}  // namespace scorch::evaluation
