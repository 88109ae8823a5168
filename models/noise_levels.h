#pragma once
// The σ ladder of NCSN-style (multi-level) training and annealed sampling.
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace scorch::models {

// σ_1 = sigma_max > ... > σ_L = sigma_min, geometric, float64 [L].
at::Tensor geometric_noise_levels(double sigma_max, double sigma_min, std::int64_t count);

}  // namespace scorch::models
