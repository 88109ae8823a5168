#pragma once
// The forward (noising) process a model is trained on, built once from the
// config (make_diffusion_process in models/model_config.h) and the only thing
// the rest of the code asks about it. It is one of three families:
//   - a continuous SDE (VE, VP, subVP); models are conditioned on the time t;
//   - a discrete ladder of noise levels σ_1 > … > σ_L (NCSN, NCSNv2) with
//     Gaussian or generalised-normal noise; models are conditioned on σ;
//   - the α-stable chain of DLPM; models take the chain time τ = t/n and
//     predict the noise ε̂ rather than a score.
// Callers ask what they need (sde(), noise_levels(), alpha_stable_chain(),
// variance_exploding()) instead of comparing names.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace scorch::models {

class Sde;
class NoiseFamily;

enum class Conditioning { time, noise_level, chain_time };
std::string to_string(Conditioning conditioning);

// The name of DLPM (Shariatian et al.): objective.kind names its training
// objective after it, and --sampler its stochastic reverse chain.
inline constexpr const char* kDlpmName = "dlpm";

// The α-stable chain of DLPM (docs/conventions.md §6): stable index α, length
// n (indices 0 … n−1) and whether one subordinator A is drawn per example
// (isotropic) or per coordinate. Training and both reverse samplers read it.
struct AlphaStableChainSpec {
  double alpha = 1.8;
  std::int64_t steps = 1000;
  bool isotropic = true;
};

class DiffusionProcess {
 public:
  explicit DiffusionProcess(std::shared_ptr<const Sde> sde);
  // `noise_levels` float64, largest first.
  DiffusionProcess(at::Tensor noise_levels, std::shared_ptr<const NoiseFamily> family);
  explicit DiffusionProcess(AlphaStableChainSpec chain);

  Conditioning conditioning() const;

  // The SDE; null for the other families.
  const Sde* sde() const { return sde_.get(); }
  const std::shared_ptr<const Sde>& shared_sde() const { return sde_; }
  // The σ ladder (float64, largest first) and its noise family; undefined and
  // null for the other families.
  bool has_noise_levels() const { return noise_levels_.defined(); }
  const at::Tensor& noise_levels() const { return noise_levels_; }
  std::vector<double> noise_level_values() const;
  const std::shared_ptr<const NoiseFamily>& noise_family() const { return family_; }
  // The α-stable chain; empty for the other families.
  const std::optional<AlphaStableChainSpec>& alpha_stable_chain() const { return chain_; }

  // Whether x = x_0 + σ ξ keeps the data's scale (the VE SDE and σ ladders).
  // The references tie their VE choices to this: data in [0, 1], networks
  // labelled by σ, the DSM loss summed over dimensions.
  bool variance_exploding() const;
  // The reference data range: [−1, 1] unless the process is variance exploding.
  bool centered_data() const { return !variance_exploding(); }
  // The perturbation's σ per conditioning value (float64 [B]): σ_t of the SDE or
  // the level σ itself. The α-stable chain has none (std::logic_error).
  at::Tensor noise_std(const at::Tensor& conditioning) const;
  // For logs and messages, e.g. "the vp SDE" or "10 noise levels (gaussian noise)".
  std::string describe() const;

 private:
  std::shared_ptr<const Sde> sde_;
  at::Tensor noise_levels_;
  std::shared_ptr<const NoiseFamily> family_;
  std::optional<AlphaStableChainSpec> chain_;
};

}  // namespace scorch::models
