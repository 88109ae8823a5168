#pragma once
#include "models/noise_family.h"

#include <cstdint>

namespace scorch::models {

// Draws S_α(β, 1, 0) in the S1 parameterisation by Chambers–Mallows–Stuck, in
// float64 on the CPU. `skew` is the stable β ∈ [−1, 1]. The α = 1 branch uses
// (π/2 + βU) where the DLPM slides misprint ζU.
at::Tensor sample_stable(double alpha, double skew, at::IntArrayRef shape, at::Generator& generator);

// Symmetric α-stable noise S_α(0, 1, 0), whose characteristic function is
// exp(−|u|^α), drawn by the Gaussian trick: ε = √A · G with G ~ N(0, I) and
// A = 2 c_A · S_{α/2}(1, 1, 0), c_A = cos(πα/4)^{2/α} (docs/conventions.md §6, where
// the slides' constant is corrected by √2). α = 2 is N(0, 2) with A ≡ 2.
// Isotropic noise shares one A across an example; otherwise each coordinate
// draws its own. A positive `max_subordinator` clamps A (DLPM's clamp_a),
// which tames the rare huge draws at the price of lighter tails.
class AlphaStableNoise final : public NoiseFamily {
 public:
  AlphaStableNoise(double alpha, bool isotropic, double max_subordinator = 0.0);
  static constexpr const char* kName = "alpha_stable";
  std::string name() const override { return kName; }
  // S_2(0, 1) is N(0, 2).
  std::optional<double> gaussian_std() const override;
  std::optional<double> stable_index() const override { return alpha_; }
  double alpha() const { return alpha_; }
  bool isotropic() const { return isotropic_; }

  // The non-negative subordinator A (float64, CPU), clamped when asked.
  at::Tensor sample_subordinator(at::IntArrayRef shape, at::Generator& generator) const;

  // One example of noise: A of shape [] (isotropic) or `shape`, then √A · G.
  at::Tensor sample(at::IntArrayRef shape, at::Generator& generator, const at::TensorOptions& options) const override;

  // Closed forms exist only for α = 2, where the noise is N(0, 2); for α < 2
  // these throw, and α-stable models train with the DLPM objective instead.
  bool has_density() const override { return alpha_ == 2.0; }
  at::Tensor log_density(const at::Tensor& displacement, const at::Tensor& level) const override;
  at::Tensor kernel_score(const at::Tensor& displacement, const at::Tensor& level) const override;

 private:
  void require_density() const;
  double alpha_;
  bool isotropic_;
  double max_subordinator_;
};

}  // namespace scorch::models
