#pragma once
// log p_ε(x) under a score model's probability-flow ODE (docs/conventions.md §3):
// integrate the augmented state [x, δ] from ε to T with dx/dt = f̃ and
// dδ/dt = ∇·f̃, f̃ = f − ½ g² s_θ; then log p_ε(x) = log π(x_T) + δ(T).
// The divergence is exact (the Jacobian trace from copies of the batch, for small D) or
// Skilling–Hutchinson ξᵀ(∂f̃/∂x)ξ with one probe per sample, fixed along the
// path. The state is float64 (as scipy integrates it in the reference); the
// network runs in its own dtype. No collective is called: each rank solves
// its own samples for as many steps as they need.
#include "evaluation/sampling/ode_solver.h"
#include "models/score_function.h"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

namespace scorch::models {
class Sde;
}

namespace scorch::evaluation {

enum class DivergenceMethod { rademacher, gaussian, exact };
DivergenceMethod parse_divergence_method(const std::string& name);
std::string to_string(DivergenceMethod method);
std::vector<std::string> divergence_method_names();

struct LikelihoodSettings {
  OdeSettings ode;  // RK45, rtol = atol = 1e-5 by default
  DivergenceMethod divergence = DivergenceMethod::rademacher;
  double eps = 1e-5;  // the training ε (docs/conventions.md §1)
  at::ScalarType network_dtype = at::kFloat;
};

struct OdeLogLikelihood {
  at::Tensor log_likelihood;        // float64 [B]: log p_ε(x) in nats
  at::Tensor latent;                // float64 [B, ...]: x_T, the encoding of x
  at::Tensor function_evaluations;  // float64 [B]: drift evaluations per sample
};

// x [B, ...] in the model's range; probes like x (ignored by the exact method).
OdeLogLikelihood ode_log_likelihood(const models::Sde& sde, const models::ScoreFunction& score, const at::Tensor& x,
                                    const at::Tensor& probes, const LikelihoodSettings& settings);

// Probes for the images with these global indices, one per (seed, repeat, index):
// ±1 (Rademacher) or standard normal, float64 on the CPU; zeros for the exact method.
at::Tensor divergence_probes(DivergenceMethod method, std::uint64_t seed, std::int64_t repeat,
                             const std::vector<std::int64_t>& indices, const std::vector<std::int64_t>& example_shape);

}  // namespace scorch::evaluation
