#pragma once
// Sampling by the probability-flow ODE (Song et al. 2021, docs/conventions.md
// §2): x_T from the prior, integrated from T down to ε with the ODE solver,
// then, with denoising, Tweedie's E[x_0 | x_ε] = (x + σ_ε² s(x, ε)) / a_ε: it
// needs no discrete chain, and it is the mean the likelihood decoder uses too.
// Each image's prior draw comes from its own stream keyed by (seed, image
// index), and RK45 keeps a step size per sample, so samples do not depend on
// batching.
#include "evaluation/sampling/ode_solver.h"
#include "models/score_function.h"

#include <ATen/core/Tensor.h>
#include <c10/core/TensorOptions.h>

#include <cstdint>
#include <vector>

namespace scorch::models {
class Sde;
}

namespace scorch::evaluation {

struct OdeSamplerSettings {
  OdeSettings ode;
  double eps = 1e-3;  // the ODE ends at t = ε
  bool denoise = true;
};

struct OdeSamples {
  at::Tensor x;    // [B, ...example_shape]
  at::Tensor nfe;  // float64 [B]: score evaluations per image, the denoising step included
};

// From the prior draws x_T [B, ...] (prior_latents.h), in x_T's dtype and on its device.
OdeSamples ode_sample(const models::Sde& sde, const models::ScoreFunction& score, const OdeSamplerSettings& settings,
                      const at::Tensor& x_T);
// The same from the images' own prior draws.
OdeSamples ode_sample(const models::Sde& sde, const models::ScoreFunction& score, const OdeSamplerSettings& settings,
                      const std::vector<std::int64_t>& example_shape, std::uint64_t seed,
                      const std::vector<std::int64_t>& image_indices, const at::TensorOptions& options);

}  // namespace scorch::evaluation
