#pragma once
// DPM-Solver++(2M) (Lu et al. 2022, Algorithm 2; docs/sampling.md): the
// multistep second-order solver of the probability-flow ODE in its
// data-prediction form, on a grid uniform in λ = log(a_t²/σ_t²) from T to ε.
// With h_i = (λ_i − λ_{i−1})/2 (the step in log(a/σ)) and the data
// predictions m_i = E[x_0 | x_{t_i}]:
//   x_i = (σ_i/σ_{i−1}) x_{i−1} − a_i (e^{−h_i} − 1) D_i,
//   D_i = (1 + 1/(2r_i)) m_{i−1} − m_{i−2}/(2r_i),  r_i = h_{i−1}/h_i,
// with D_1 = m_0 (first order) and, below 10 steps, a first-order last step,
// as the reference code does. One network call per step, plus the denoising
// step at ε. It serves VE (a = 1) as well as VP and subVP.
#include "models/score_function.h"

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace scorch::models {
class Sde;
}

namespace scorch::evaluation {

struct DpmSolverSettings {
  std::int64_t steps = 20;
  double eps = 1e-3;
  bool denoise = true;  // E[x_0 | x_ε] at the end: one more network call
};

// The grid t_0 = T > … > t_M = ε (float64 [M + 1]), uniform in λ.
at::Tensor dpm_solver_time_grid(const models::Sde& sde, const DpmSolverSettings& settings);
std::int64_t dpm_solver_function_evaluations(const DpmSolverSettings& settings);

// Samples from the prior draws x_T [B, ...], in x_T's dtype and on its device.
at::Tensor dpm_solver_sample(const models::Sde& sde, const models::ScoreFunction& score,
                             const DpmSolverSettings& settings, const at::Tensor& x_T);

}  // namespace scorch::evaluation
