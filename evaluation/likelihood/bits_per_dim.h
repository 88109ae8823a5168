#pragma once
// Bits per dimension of 8-bit data from a continuous log-likelihood of its
// dequantized image z (docs/conventions.md §3):
//   bpd = −log p(z)/(D ln 2) + 8 + log2 |dy/dz|,
// i.e. an offset of 8 for data in [0, 1] and 7 for data in [−1, 1].
#include "data/pixel_range.h"

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace scorch::evaluation {

at::Tensor bits_per_dim(const at::Tensor& log_likelihood_nats, std::int64_t dim, data::PixelRange range);

}  // namespace scorch::evaluation
