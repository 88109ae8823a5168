#pragma once
// The exact score of Gaussian-mixture data after Gaussian perturbation: with
// kernel N(a x0, s² I), p = Σ_k w_k N(a μ_k, a² Σ_k + s² I). (a, s) is
// (a_t, σ_t) of an SDE for time conditioning, or (1, c·σ) for noise levels,
// where c = 1 for Gaussian noise and √2 for α = 2 stable noise. Other noise
// families have no closed-form perturbed density and are refused.
// Computed in float64 through one eigendecomposition of each Σ_k.
#include "models/score_model.h"

#include <memory>

namespace scorch::models {

class Sde;

struct GaussianMixture {
  at::Tensor weights;      // [K], positive, normalised on construction
  at::Tensor means;        // [K, D]
  at::Tensor covariances;  // [K, D, D], symmetric positive semi-definite
};

class AnalyticGmmModel final : public ScoreModel {
 public:
  // Time-conditioned on `sde` (which must outlive the model).
  AnalyticGmmModel(GaussianMixture mixture, std::shared_ptr<const Sde> sde);
  // Noise-level conditioned, with the level scaled by `noise_scale`.
  AnalyticGmmModel(GaussianMixture mixture, double noise_scale);

  at::Tensor score(const at::Tensor& x, const at::Tensor& conditioning) override;
  // log p(x) of the perturbed mixture, per example, float64.
  at::Tensor log_density(const at::Tensor& x, const at::Tensor& conditioning) const;
  static constexpr const char* kName = "analytic_gmm";
  std::string name() const override { return kName; }
  std::string parameterisation() const override;
  std::vector<std::int64_t> input_shape() const override { return {dimension()}; }
  std::int64_t dimension() const { return mixture_.means.size(1); }
  const GaussianMixture& mixture() const { return mixture_; }

 private:
  void prepare();
  // Kernel coefficients (a, s) per example, float64 [B].
  std::pair<at::Tensor, at::Tensor> kernel(const at::Tensor& conditioning) const;
  // Per component: log N_k(x) [B, K] and the precision-weighted residual Cov_k⁻¹(x − aμ_k) [B, K, D].
  std::pair<at::Tensor, at::Tensor> components(const at::Tensor& x, const at::Tensor& conditioning) const;

  GaussianMixture mixture_;
  std::shared_ptr<const Sde> sde_;
  double noise_scale_ = 1.0;
  at::Tensor eigenvalues_;   // [K, D]
  at::Tensor eigenvectors_;  // [K, D, D]
};

}  // namespace scorch::models
