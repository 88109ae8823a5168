#pragma once
// The DLPM training objective (docs/conventions.md §6): each example draws a chain
// index t uniform in {1, …, n−1} and α-stable noise ε_t = √A G, the model sees
// Y_t = γ_{1→t} x0 + σ_{1→t} ε_t at chain time τ = t/n and predicts ε̂, and the
// loss is ‖ε̂ − ε_t‖₂ / √d. The norm is not squared: the α-stable noise has
// infinite variance for α < 2, so the squared loss has no finite mean.
//
// Median of means: with M > 1 every example draws M independent (A, G) pairs
// at its t and keeps the median of the M losses, which resists the rare huge
// A that would otherwise dominate a batch's gradient.
#include "models/alpha_stable_noise.h"
#include "models/alpha_stable_schedule.h"
#include "models/diffusion_process.h"
#include "trainer/objective.h"

namespace scorch::trainer {

struct DlpmSettings {
  models::AlphaStableChainSpec chain;  // the training chain
  std::int64_t draws = 1;     // M of the median of means
  double clamp_a = 0.0;       // A ≤ clamp_a when positive
  double clamp_eps = 0.0;     // |ε_t| ≤ clamp_eps elementwise when positive
};

class DlpmLoss final : public Objective {
 public:
  explicit DlpmLoss(DlpmSettings settings);

  struct Draw {
    at::Tensor t;      // int64 [B], chain indices in 1 … n−1
    at::Tensor noise;  // ε_t [M, B, ...], clamped, in x0's dtype and device
  };
  Draw draw(std::uint64_t seed, std::uint64_t step, const std::vector<std::int64_t>& global_indices,
            const at::Tensor& x0) const;
  at::Tensor per_example_loss(const models::ScoreFunction& predict_noise, const at::Tensor& x0, const Draw& draw) const;

  at::Tensor per_example_loss(const models::ScoreFunction& predict_noise, const at::Tensor& x0, std::uint64_t seed,
                              std::uint64_t step, const std::vector<std::int64_t>& global_indices) const override;

  const models::AlphaStableSchedule& schedule() const { return schedule_; }

 private:
  DlpmSettings settings_;
  models::AlphaStableSchedule schedule_;
  models::AlphaStableNoise noise_;
};

}  // namespace scorch::trainer
