#pragma once
// Forward SDEs dx = f(x,t) dt + g(t) dw with Gaussian perturbation kernels
// p_0t(x_t | x_0) = N(a_t x_0, σ_t² I) (docs/conventions.md §1).
//
// Time arguments are tensors of any shape (usually [B]); every schedule quantity
// is computed in float64 on the time tensor's device and returned in float64.
// Quantities that touch x are returned in x's dtype on x's device.
#include "models/discrete_chain.h"
#include "models/score_function.h"

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>

namespace scorch::models {

// One step of the SDE's discrete chain: x_{i+1} = x_i + f + G z.
struct DiscreteStep {
  at::Tensor f;  // like x
  at::Tensor G;  // per example, float64
};

// One reverse step x_{i−1} = mean + std · z.
struct ReverseStep {
  at::Tensor mean;  // like x
  at::Tensor std;   // per example, float64
};

class Sde {
 public:
  Sde(double T, std::int64_t num_steps);
  virtual ~Sde() = default;

  virtual std::string name() const = 0;
  double T() const { return T_; }
  // a_t ≡ 1: x_t = x_0 + σ_t z. The references' VE conventions follow from
  // this (data in [0, 1], σ labels, the DSM loss summed over dimensions).
  virtual bool variance_exploding() const { return false; }
  const TimeGrid& grid() const { return grid_; }

  // Schedule (float64).
  virtual at::Tensor mean_coeff(const at::Tensor& t) const = 0;         // a_t
  virtual at::Tensor marginal_std(const at::Tensor& t) const = 0;       // σ_t
  virtual at::Tensor diffusion_squared(const at::Tensor& t) const = 0;  // g(t)²
  // The SDEs here have linear drift f(x,t) = drift_coeff(t) · x.
  virtual at::Tensor drift_coeff(const at::Tensor& t) const = 0;
  at::Tensor diffusion(const at::Tensor& t) const;
  at::Tensor marginal_variance(const at::Tensor& t) const;

  // Drift f(x, t) and its divergence ∇·f for D-dimensional x (float64 per t).
  at::Tensor drift(const at::Tensor& x, const at::Tensor& t) const;
  at::Tensor drift_divergence(const at::Tensor& t, std::int64_t dim) const;

  // Perturbation kernel: x_t = a_t x_0 + σ_t z, and ∇_{x_t} log p_0t(x_t | x_0).
  at::Tensor perturb(const at::Tensor& x0, const at::Tensor& t, const at::Tensor& z) const;
  at::Tensor kernel_score(const at::Tensor& xt, const at::Tensor& x0, const at::Tensor& t) const;

  // Prior N(0, prior_std² I).
  virtual double prior_std() const = 0;
  at::Tensor sample_prior(at::IntArrayRef shape, at::Generator& generator, const at::TensorOptions& options) const;
  // log π(x) per example (summed over all but the leading dimension), float64.
  at::Tensor prior_log_prob(const at::Tensor& x) const;
  // Differential entropy of the prior in `dim` dimensions, in nats.
  double prior_entropy(std::int64_t dim) const;

  // Reverse-time SDE drift f − g² s and probability-flow ODE drift f − ½ g² s.
  at::Tensor reverse_drift(const at::Tensor& x, const at::Tensor& t, const ScoreFunction& score) const;
  at::Tensor probability_flow_drift(const at::Tensor& x, const at::Tensor& t, const ScoreFunction& score) const;

  // The likelihood importance-sampling proposal p(t) ∝ g(t)²/σ_t² (thesis §9.5.1)
  // has the closed-form antiderivative F, so W(t) = F(t) − F(ε) and its inverse
  // need no quadrature.
  virtual at::Tensor proposal_antiderivative(const at::Tensor& t) const = 0;
  virtual at::Tensor proposal_antiderivative_inverse(const at::Tensor& F) const = 0;

  // The log signal-to-noise ratio λ(t) = log(a_t²/σ_t²) (float64), decreasing
  // in t, and its inverse. The fast samplers (EDM, DPM-Solver++, DDIM) place
  // their grids in λ or in σ/a = e^{−λ/2} and need t back for the network.
  at::Tensor log_snr(const at::Tensor& t) const;
  at::Tensor time_of_log_snr(const at::Tensor& lambda) const;
  // Tweedie's E[x_0 | x_t] = (x + σ_t² s)/a_t from the score s at (x, t): the
  // data prediction of the fast samplers and the denoising step.
  at::Tensor denoised_mean(const at::Tensor& x, const at::Tensor& t, const at::Tensor& score) const;
  // The ε score_sde samples down to for this SDE (docs/sampling.md): 1e-3, and
  // 1e-5 for VE, whose σ(t) is nearly flat near 0.
  virtual double reference_sampling_eps() const { return 1e-3; }

  // The discrete chain step at time t (SMLD for VE, DDPM for VP, Euler otherwise).
  virtual DiscreteStep discretize(const at::Tensor& x, const at::Tensor& t) const;
  // The forward step from t − dt to t for any step dt > 0 (samplers on their
  // own grids): exact variance increments for VE and VP, Euler otherwise.
  virtual DiscreteStep discretize_interval(const at::Tensor& x, const at::Tensor& t, double dt) const;

  // The exact Gaussian posterior step of the discrete chain from t to t − dt
  // given the score s at (x, t) (ancestral sampling: SMLD for VE, DDPM for VP).
  // SDEs without such a chain answer false and throw std::logic_error.
  virtual bool has_ancestral_step() const { return false; }
  virtual ReverseStep ancestral_step(const at::Tensor& x, const at::Tensor& t, double dt, const at::Tensor& score) const;
  // The factor α_i that scales the Langevin corrector's step at t over a grid
  // interval dt: the discrete 1 − β_i for VP, as in the reference, else 1.
  virtual at::Tensor langevin_step_scale(const at::Tensor& x, const at::Tensor& t, double dt) const;

 private:
  double T_;
  TimeGrid grid_;
};

}  // namespace scorch::models
