#pragma once
// The probability-flow ODE run forwards, from data at t = ε to the latent x_T
// (docs/sampling.md): the inverse of the ODE sampler without its denoising
// step, so `scorch sample --latents` with --sampler ode and sampler.denoise
// false returns the data to the solver's tolerance. Each image's path is its
// own (RK45 keeps a step size per image), so latents do not depend on batching.
#include "evaluation/sampling/ode_sampler.h"

namespace scorch::evaluation {

// x_0 [B, ...] in the model's range; returns x_T and the drift evaluations per image.
OdeSamples ode_encode(const models::Sde& sde, const models::ScoreFunction& score, const OdeSamplerSettings& settings,
                      const at::Tensor& x_0);

}  // namespace scorch::evaluation
