#pragma once
// The discrete chains behind the continuous SDEs: SMLD's σ_i grid (VE) and
// DDPM's β_i grid (VP), and the mapping between time t ∈ [0, T] and index i.
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace scorch::models {

// N grid points t_i = i·T/(N−1), i = 0..N−1.
class TimeGrid {
 public:
  TimeGrid(std::int64_t num_steps, double T);
  std::int64_t num_steps() const { return num_steps_; }
  // The index whose grid time is at or below t (int64, clamped to [0, N−1]).
  at::Tensor index_of(const at::Tensor& t) const;
  // t_i in float64 on index's device.
  at::Tensor time_of(const at::Tensor& index) const;

 private:
  std::int64_t num_steps_;
  double T_;
};

// σ_i = exp(linspace(log σ_min, log σ_max, N)), increasing, float64.
at::Tensor smld_sigmas(double sigma_min, double sigma_max, std::int64_t num_steps);

// β_i = linspace(β_min/N, β_max/N, N) and the derived α_i = 1 − β_i, ᾱ_i = Π α.
struct DdpmChain {
  at::Tensor betas;
  at::Tensor alphas;
  at::Tensor alphas_cumprod;
};
DdpmChain ddpm_chain(double beta_min, double beta_max, std::int64_t num_steps);

}  // namespace scorch::models
