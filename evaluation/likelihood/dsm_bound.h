#pragma once
// The denoising score matching upper bound on −log p(x) of thesis Thm 9.3
// (docs/conventions.md §3), per data point, on [ε, T]:
//   prior     −E log π(x_T), x_T ~ N(a_T x, σ_T² I): closed form;
//   integral  ½ ∫ g² E‖s_θ − ∇log p_0t‖² dt, estimated with the likelihood
//             importance-sampling proposal p(t) ∝ g²/σ² as ½ Z E‖σ_t s_θ + z‖²;
//   constant  −½ ∫ (g² D/σ_t² + 2∇·f) dt = −½ D (Z + 2 log(a_T/a_ε)): closed form;
//   jensen    −log q_θ(x | x') − (D/2)(log 2π + 2 log σ_ε + 1), x' ~ p_0ε(·|x), with
//             the decoder q_θ(x|x') = N(x'/a_ε + (σ_ε²/a_ε) s_θ(x', ε), (σ_ε/a_ε)² I),
//             which covers the [0, ε] gap.
// Randomness comes from (seed, purpose, repeat, global index), so a point's
// bound does not depend on its batch or rank.
#include "models/score_function.h"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace scorch::models {
class Sde;
}

namespace scorch::evaluation {

struct DsmBoundSettings {
  double eps = 1e-5;
  std::int64_t time_samples = 1000;  // per point, as the reference
  at::ScalarType network_dtype = at::kFloat;
};

struct DsmBoundTerms {  // float64 [B] each, in nats
  at::Tensor prior, integral, constant, jensen;
  at::Tensor total() const { return prior + integral + constant + jensen; }
};

// x [B, ...] in the model's range (dequantized data).
DsmBoundTerms dsm_bound(const models::Sde& sde, const models::ScoreFunction& score, const at::Tensor& x,
                        const DsmBoundSettings& settings, std::uint64_t seed, std::int64_t repeat,
                        const std::vector<std::int64_t>& indices);

}  // namespace scorch::evaluation
