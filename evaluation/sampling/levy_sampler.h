#pragma once
// Reverse processes of the α-stable chain (DLPM, docs/conventions.md §6 and eq. 33 of
// the DLPM slides): the stochastic DLPM sampler, which conditions on one drawn
// subordinator sequence A_{1:n} per image and walks the Gaussian posterior, and
// the deterministic DLIM sampler (η = 0). Both take an ε-prediction model
// ε̂(Y, τ) with time input τ = t/n, so a model trained on the n_s-step chain
// also samples on a shorter chain of n steps (the chain is rebuilt for n).
//
// Each image's randomness — its subordinators and Gaussian draws — comes from
// streams keyed by (seed, image index), so samples do not depend on batching.
#include "models/diffusion_process.h"
#include "models/score_function.h"

#include <ATen/core/Tensor.h>
#include <c10/core/TensorOptions.h>

#include <cstdint>
#include <vector>

namespace scorch::evaluation {

enum class LevyReverse { dlpm, dlim };

struct LevySamplerSettings {
  LevyReverse process = LevyReverse::dlpm;
  // The sampling chain: the model's α and isotropy, with n steps (indices 0 … n−1).
  models::AlphaStableChainSpec chain;
  double clamp_a = 20.0;      // A ≤ clamp_a when positive (20: the DLPM authors' sampling clamp)
  double clamp_eps = 0.0;     // |initial ε| ≤ clamp_eps when positive
  // |x| ≤ clamp_samples elementwise at the end when positive: the DLPM
  // authors' evaluation clamps its 2-D samples to 6 (images to 1), which keeps
  // a heavy-tailed outlier from taking a k-means cluster of the PRD on its own.
  double clamp_samples = 0.0;
};

// ε̂(Y, τ): the model's noise prediction, τ float64 [B].
using NoisePredictor = models::ScoreFunction;

// Draws [B, ...example_shape] for the images with these global indices,
// computing in `options` (dtype, device); schedule arithmetic is float64.
at::Tensor levy_sample(const NoisePredictor& predict_noise, const LevySamplerSettings& settings,
                       const std::vector<std::int64_t>& example_shape, std::uint64_t seed,
                       const std::vector<std::int64_t>& image_indices, const at::TensorOptions& options);

}  // namespace scorch::evaluation
