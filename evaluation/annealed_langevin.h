#pragma once
// Annealed Langevin dynamics for noise-level conditioned models (NCSN,
// thesis ch. 5–6, CONVENTIONS.md §2): for each σ_i from largest to smallest,
// T steps of x ← x + α_i s(x, σ_i) + √(2α_i) z with α_i = ε σ_i²/σ_L², then the
// Tweedie denoising step x + σ_L² s(x, σ_L). Each image's noise comes from its
// own stream keyed by (seed, image index), so samples do not depend on batching.
#include "models/score_function.h"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace scorch::evaluation {

struct AldSettings {
  std::vector<double> sigmas;  // largest first
  std::int64_t steps_per_level = 100;
  double epsilon = 2e-5;
  bool denoise = true;
};

// Runs from `initial` [B, ...] (e.g. uniform noise) for the images with these global indices.
at::Tensor annealed_langevin(const models::ScoreFunction& score, const at::Tensor& initial, const AldSettings& settings,
                             std::uint64_t seed, const std::vector<std::int64_t>& image_indices);

}  // namespace scorch::evaluation
