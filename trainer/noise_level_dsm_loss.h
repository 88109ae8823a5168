#pragma once
// Multi-level DSM over a σ ladder (NCSN, thesis ch. 5–6, docs/conventions.md §5, §7):
// each example draws its own level σ and noise ξ from the noise family,
// x̃ = x + σ ξ, and the loss is ½ λ(σ) ‖s(x̃, σ) − ∇_x̃ log p_σ(x̃ | x)‖² summed
// over dimensions, with λ(σ) = σ^p. At NCSN's p = 2 and Gaussian noise this is
// NCSN's ½‖σ s + ξ‖²; with generalised-normal noise it is heavy-tailed DSM.
// The authors' 2-D notebook weights by σ (p = 1); in 2-D its mean over the
// coordinates equals the ½-sum here. The score is called with σ.
#include "trainer/objective.h"

#include <memory>

namespace scorch::models {
class NoiseFamily;
}

namespace scorch::trainer {

class NoiseLevelDsmLoss final : public Objective {
 public:
  static constexpr double kNcsnWeightPower = 2.0;
  // levels: float64 [L]; the family must have a density; λ(σ) = σ^weight_power.
  // noise_device: device needs a Gaussian family (UserError otherwise).
  NoiseLevelDsmLoss(at::Tensor levels, std::shared_ptr<const models::NoiseFamily> family,
                    double weight_power = kNcsnWeightPower, NoiseDevice noise_device = NoiseDevice::host);

  struct Draw {
    at::Tensor level_index;  // int64 [B]
    at::Tensor noise;        // standard noise ξ, like x0
  };
  Draw draw(std::uint64_t seed, std::uint64_t step, const std::vector<std::int64_t>& global_indices,
            const at::Tensor& x0) const;
  at::Tensor per_example_loss(const models::ScoreFunction& score, const at::Tensor& x0, const Draw& draw) const;

  at::Tensor per_example_loss(const models::ScoreFunction& score, const at::Tensor& x0, std::uint64_t seed,
                              std::uint64_t step, const std::vector<std::int64_t>& global_indices) const override;

  const at::Tensor& levels() const { return levels_; }

 private:
  at::Tensor levels_;
  NoiseDevice noise_device_ = NoiseDevice::host;
  std::shared_ptr<const models::NoiseFamily> family_;
  double weight_power_;
};

}  // namespace scorch::trainer
