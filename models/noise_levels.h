#pragma once
// The σ ladder of NCSN-style (multi-level) training and annealed sampling.
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace scorch::models {

// σ_1 = sigma_max > ... > σ_L = sigma_min, geometric, float64 [L].
at::Tensor geometric_noise_levels(double sigma_max, double sigma_min, std::int64_t count);

// The p-quantile of ‖ξ‖² for ξ of `dimension` i.i.d. GN(0, √2, β) coordinates
// (the noise at σ = 1; β = 2 is N(0, I)). The sum is matched in mean and
// variance by a gamma law (docs/conventions.md §5: E = n α² C1, Var = n α⁴ C2), which
// is exactly χ²_n at β = 2; otherwise its error is the sum's small skew
// mismatch, O(1/√n).
double generalized_normal_length_quantile(std::int64_t dimension, double beta, double p);

// The heavy-tailed DSM paper's Algorithm 3 with the corrected length law:
// consecutive levels overlap so that the upper (1+δ)/2 quantile of one level's
// squared noise length equals the lower (1−δ)/2 quantile of the next, giving
// the geometric ratio r = √(Q((1+δ)/2) / Q((1−δ)/2)). Levels run from
// sigma_min up to the first one >= sigma_max and are returned largest first,
// float64 [L].
at::Tensor overlap_noise_levels(double sigma_max, double sigma_min, double delta, std::int64_t dimension, double beta);

}  // namespace scorch::models
