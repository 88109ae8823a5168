#pragma once
// The discrete α-stable chain of DLPM (docs/conventions.md §6, the authors'
// scale-preserving schedule): Y_t = γ_t Y_{t−1} + σ_t ε_t with ε_t ~ S_α(0, I),
// on a cosine ᾱ base. Index 0 is clean data (γ_0 = 1, σ_0 = 0); the chain has
// `steps` indices 0 … steps−1. Every quantity is float64 on the CPU.
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace scorch::models {

class AlphaStableSchedule {
 public:
  AlphaStableSchedule(double alpha, std::int64_t steps);

  double alpha() const { return alpha_; }
  std::int64_t steps() const { return steps_; }

  // [steps] tensors.
  const at::Tensor& gammas() const { return gammas_; }                // γ_t = (1 − β_t)^{1/α}
  const at::Tensor& sigmas() const { return sigmas_; }                // σ_t = (1 − γ_t^α)^{1/α}
  const at::Tensor& cumulative_gammas() const { return bar_gammas_; }  // γ_{1→t} = Π γ
  const at::Tensor& cumulative_sigmas() const { return bar_sigmas_; }  // σ_{1→t} = (1 − γ_{1→t}^α)^{1/α}

  double gamma(std::int64_t t) const;
  double sigma(std::int64_t t) const;
  double cumulative_gamma(std::int64_t t) const;
  double cumulative_sigma(std::int64_t t) const;

  // The network's time input for index t: t / steps, so one model serves the
  // training chain and shorter sampling chains alike.
  static double time_of_index(std::int64_t t, std::int64_t steps) {
    return static_cast<double>(t) / static_cast<double>(steps);
  }

 private:
  double alpha_;
  std::int64_t steps_;
  at::Tensor gammas_, sigmas_, bar_gammas_, bar_sigmas_;
};

}  // namespace scorch::models
