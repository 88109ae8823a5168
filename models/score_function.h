#pragma once
#include <ATen/core/Tensor.h>

#include <functional>

namespace scorch::models {

// s(x, c): the score at x given conditioning c, one value of c per example —
// the diffusion time t for SDE models, the noise level σ for NCSN-style models.
using ScoreFunction = std::function<at::Tensor(const at::Tensor& x, const at::Tensor& conditioning)>;

// Reshapes per-example coefficients [B] (or a scalar) so they broadcast against
// x [B, ...], in x's dtype and on x's device.
at::Tensor per_example_factor(const at::Tensor& coefficient, const at::Tensor& x);

// Sums (or averages) over every dimension but the leading batch one.
at::Tensor sum_per_example(const at::Tensor& x);
at::Tensor mean_per_example(const at::Tensor& x);

}  // namespace scorch::models
