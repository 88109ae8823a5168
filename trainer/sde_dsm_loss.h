#pragma once
// Continuous-time DSM for the score SDEs (docs/conventions.md §1), following the
// reference losses, with ‖·‖² either ½·sum or mean over dimensions (score_sde's
// two reductions; the ½ applies to the sum only):
//   original weighting, uniform t:    ‖σ_t s + z‖²
//   likelihood weighting, uniform t:  g²/σ_t² · ‖σ_t s + z‖²
//   likelihood weighting, IS t:       c · ‖σ_t s + z‖², t ~ p(t) ∝ g²/σ²,
// with c = 1 when the IS constant is dropped (training default) and
// c = Z/(T − ε) when kept, which makes the IS loss an unbiased estimate of the
// uniform-time likelihood-weighted loss.
#include "trainer/objective.h"
#include "trainer/time_sampler.h"
#include "trainer/weighting.h"

#include <memory>

namespace scorch::models {
class Sde;
}

namespace scorch::trainer {

enum class Reduction { sum, mean };

struct SdeDsmSettings {
  Weighting weighting = Weighting::original;
  bool importance_sampling = false;
  bool keep_importance_constant = false;
  Reduction reduction = Reduction::mean;
  double eps = 1e-5;
  NoiseDevice noise_device = NoiseDevice::host;
};

class SdeDsmLoss final : public Objective {
 public:
  // The SDE must outlive the loss.
  SdeDsmLoss(const models::Sde& sde, SdeDsmSettings settings);

  // The random inputs of one batch: times [B] (float64) and noise like x0.
  struct Draw {
    at::Tensor t;
    at::Tensor z;
  };
  Draw draw(std::uint64_t seed, std::uint64_t step, const std::vector<std::int64_t>& global_indices,
            const at::Tensor& x0) const;
  at::Tensor per_example_loss(const models::ScoreFunction& score, const at::Tensor& x0, const Draw& draw) const;

  at::Tensor per_example_loss(const models::ScoreFunction& score, const at::Tensor& x0, std::uint64_t seed,
                              std::uint64_t step, const std::vector<std::int64_t>& global_indices) const override;

  const TimeSampler& time_sampler() const { return *time_sampler_; }
  const SdeDsmSettings& settings() const { return settings_; }
  // The factor multiplying ‖σ s + z‖² at time t, float64.
  at::Tensor loss_weight(const at::Tensor& t) const;

 private:
  const models::Sde& sde_;
  SdeDsmSettings settings_;
  std::unique_ptr<TimeSampler> time_sampler_;
};

}  // namespace scorch::trainer
