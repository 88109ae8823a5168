#pragma once
// DDIM (Song, Meng and Ermon 2021, Eq. 12; docs/sampling.md) for any SDE with
// a Gaussian kernel N(a_t x_0, σ_t² I), on a grid uniform in t from T to ε.
// From x at t to the next time s < t, with the data prediction m = E[x_0 | x]
// and the implied noise ε̂ = (x − a_t m)/σ_t:
//   x_s = a_s m + √(σ_s² − c²) ε̂ + c z,
//   c² = η² σ_s² (σ_t² − (a_t/a_s)² σ_s²)/σ_t²,
// the DDPM posterior's variance scaled by η². η = 0 is deterministic (the
// probability-flow ODE's first-order solver); η = 1 is ancestral sampling.
// For VE (a = 1) it is the σ form. One network call per step, plus the
// denoising step at ε; z comes from each image's sampler stream after its
// prior draw.
#include "models/score_function.h"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace scorch::models {
class Sde;
}

namespace scorch::evaluation {

struct DdimSettings {
  std::int64_t steps = 50;
  double eta = 0.0;
  double eps = 1e-3;
  bool denoise = true;  // E[x_0 | x_ε] at the end: one more network call
};

std::int64_t ddim_function_evaluations(const DdimSettings& settings);

// Samples from the prior draws x_T [B, ...], in x_T's dtype and on its device.
at::Tensor ddim_sample(const models::Sde& sde, const models::ScoreFunction& score, const DdimSettings& settings,
                       const at::Tensor& x_T, std::uint64_t seed, const std::vector<std::int64_t>& image_indices);

}  // namespace scorch::evaluation
