#pragma once
// Noise families for denoising score matching. A family draws standard noise ξ;
// at level σ the perturbation is d = σ ξ (so x̃ = x + d). Where the family has a
// density, it also gives log p(d) and the DSM target ∇_x̃ log p(x̃ | x) as
// functions of d and σ. `level` broadcasts against d (e.g. [B, 1, 1, 1]).
#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <optional>
#include <string>

namespace scorch::models {

class NoiseFamily {
 public:
  virtual ~NoiseFamily() = default;
  virtual std::string name() const = 0;

  // Standard noise of the given shape, drawn on the CPU with `generator` and
  // returned with `options` (dtype, device). One call is one example: families
  // with shared per-example randomness (isotropic α-stable) share it across the call.
  virtual at::Tensor sample(at::IntArrayRef shape, at::Generator& generator, const at::TensorOptions& options) const = 0;

  virtual bool has_density() const { return true; }

  // What the processes ask of a family instead of its name:
  // the std c when the standard noise is exactly N(0, c² I) (1 for Gaussian,
  // √2 for α = 2 stable noise), which the SDE objectives (c = 1) and the
  // analytic mixture score need;
  virtual std::optional<double> gaussian_std() const { return std::nullopt; }
  // the generalised-normal shape β of each coordinate (2 for Gaussian), which
  // the overlap ladder needs (α-stable noise has no finite moments);
  virtual std::optional<double> generalized_normal_shape() const { return std::nullopt; }
  // the stable index α, which the DLPM chain needs.
  virtual std::optional<double> stable_index() const { return std::nullopt; }
  // Elementwise log-density of the perturbation d at level σ.
  virtual at::Tensor log_density(const at::Tensor& displacement, const at::Tensor& level) const = 0;
  // Elementwise ∇_x̃ log p(x̃ | x) at x̃ − x = d, level σ.
  virtual at::Tensor kernel_score(const at::Tensor& displacement, const at::Tensor& level) const = 0;
};

}  // namespace scorch::models
