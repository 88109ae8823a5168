#pragma once
// EDM's samplers (Karras et al. 2022, Algorithms 1 and 2; docs/sampling.md):
// the probability-flow ODE written in x̂ = x/a_t against the noise ratio
// σ̂ = σ_t/a_t, dx̂/dσ̂ = (x̂ − D(x̂; σ̂))/σ̂, integrated with Heun's method on
// the ρ-spaced grid σ̂_i = (σ̂_max^{1/ρ} + i/(N−1)(σ̂_min^{1/ρ} − σ̂_max^{1/ρ}))^ρ,
// i < N, from σ̂_max = σ̂(T) to σ̂_min = σ̂(ε), then one Euler step to σ̂_N = 0,
// which is the Tweedie denoising step at ε. So VE runs on its σ directly, and
// VP and subVP through their σ(t) and scale s(t) = a_t. N points cost 2N − 1
// network calls per image. With churn > 0 (Algorithm 2), each step whose σ̂_i
// lies in [s_min, s_max] first raises the noise to σ̂_i(1 + γ),
// γ = min(churn/N, √2 − 1), with fresh noise scaled by s_noise; that noise
// comes from each image's sampler stream after its prior draw. The raised
// noise is capped at σ̂(T), so the network is never asked about times beyond
// its training range (EDM's own σ_max = 80 lies above its S_max; score_sde's
// VE σ_max = 50 does not). Without denoising the sampler stops at σ̂(ε) and
// returns x = a_ε x̂ (2N − 2 calls).
#include "models/score_function.h"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <limits>
#include <vector>

namespace scorch::models {
class Sde;
}

namespace scorch::evaluation {

struct EdmSettings {
  std::int64_t steps = 18;  // N: 35 network calls, EDM's CIFAR-10 setting
  double rho = 7.0;
  double eps = 1e-3;  // the last grid point is σ̂(ε)
  double churn = 0.0;
  double s_min = 0.0;
  double s_max = std::numeric_limits<double>::infinity();
  double s_noise = 1.0;
  bool denoise = true;  // the last step to σ̂ = 0
};

// EDM's stochastic settings: its ImageNet-64 values (Table 5).
EdmSettings edm_stochastic_defaults();

// The noise ratios σ̂_0 > … > σ̂_{N−1} > σ̂_N = 0 (float64 [N + 1]).
at::Tensor edm_noise_ratio_grid(const models::Sde& sde, const EdmSettings& settings);
// Network calls per image: 2N − 1, or 2N − 2 without denoising.
std::int64_t edm_function_evaluations(const EdmSettings& settings);

// Samples from the prior draws x_T [B, ...], in x_T's dtype and on its device.
at::Tensor edm_sample(const models::Sde& sde, const models::ScoreFunction& score, const EdmSettings& settings,
                      const at::Tensor& x_T, std::uint64_t seed, const std::vector<std::int64_t>& image_indices);

}  // namespace scorch::evaluation
