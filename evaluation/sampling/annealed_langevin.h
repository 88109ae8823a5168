#pragma once
// Annealed Langevin dynamics for noise-level conditioned models (NCSN,
// thesis ch. 5–6, docs/conventions.md §2): for each σ_i from largest to smallest,
// T steps of x ← x + α_i s(x, σ_i) + √(2α_i) m_i z with α_i = ε σ_i²/σ_L² and
// m_i = 1, then the Tweedie denoising step x + c²σ_L² s(x, σ_L), where the
// model's standard noise is N(0, c² I) (c = 1 Gaussian, √2 for α = 2 stable
// noise). The heavy-tailed DSM authors' 2-D notebook steps differently: α_i = ε
// at every level (step constant) and m_i z = σ_i ξ with ξ the generalised
// normal's standard noise GN(0, √2, β) (noise_scale level); docs/experiments.md.
// Each image's noise comes from its own stream keyed by (seed, image index), so
// samples do not depend on batching.
#include "models/score_function.h"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

namespace scorch::evaluation {

// How the step α_i follows the level.
enum class AldStep {
  annealed,  // α_i = ε σ_i²/σ_L² (NCSN's Algorithm 2)
  constant,  // α_i = ε
};
// How the Langevin noise is scaled.
enum class AldNoiseScale {
  unit,   // z at unit variance
  level,  // σ_i times the standard noise of GN(0, √2, β), N(0, σ_i²) at β = 2
};
AldStep parse_ald_step(const std::string& name);
std::vector<std::string> ald_step_names();
std::string to_string(AldStep step);
AldNoiseScale parse_ald_noise_scale(const std::string& name);
std::vector<std::string> ald_noise_scale_names();
std::string to_string(AldNoiseScale scale);

struct AldSettings {
  std::vector<double> sigmas;  // largest first
  std::int64_t steps_per_level = 100;
  double epsilon = 2e-5;
  bool denoise = true;
  // c above. Other noise families have no Tweedie step: callers switch denoising off for them.
  double denoise_noise_std = 1.0;
  // Shape β of the Langevin noise z: 2 is Gaussian; otherwise generalised
  // normal (heavy-tailed DSM, β > ½), scaled to unit variance so that ε keeps
  // its meaning. Langevin with non-Gaussian z is not exact for any ε; it is the
  // sampling-side counterpart of GN training noise, for comparison.
  double langevin_noise_shape = 2.0;
  AldStep step = AldStep::annealed;
  AldNoiseScale noise_scale = AldNoiseScale::unit;
};

// Thesis Prop. 6.3, Eq. 6.4: for Gaussian data, s_T²/σ_i² after T steps at
// level σ_i started from level σ_{i−1} = γ σ_i. Technique 6.4 picks ε to bring
// it close to 1.
double ald_variance_ratio(double epsilon, double gamma, double smallest_sigma, std::int64_t steps_per_level);
// The Langevin recursion contracts only while ε < 2 σ_L² (|1 − ε/σ_L²| < 1).
bool ald_step_is_stable(double epsilon, double smallest_sigma);

// Runs from `initial` [B, ...] (e.g. uniform noise) for the images with these global indices.
at::Tensor annealed_langevin(const models::ScoreFunction& score, const at::Tensor& initial, const AldSettings& settings,
                             std::uint64_t seed, const std::vector<std::int64_t>& image_indices);

}  // namespace scorch::evaluation
