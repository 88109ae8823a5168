#pragma once
// The Fréchet distance between two Gaussians fitted to feature sets (FID):
//   ‖μ1 − μ2‖² + tr Σ1 + tr Σ2 − 2 tr √(Σ1 Σ2).
// tr √(Σ1 Σ2) is the sum of √λ_i over the eigenvalues of A Σ2 A with A = √Σ1
// (docs/conventions.md §4). We obtain the same numbers as the singular values of
// A·B, B = √Σ2, since A Σ2 A = (AB)(AB)ᵀ: every step is still a symmetric
// eigendecomposition or an SVD (no Newton–Schulz, no eig of the non-symmetric
// Σ1Σ2), and small singular values carry an absolute error of about ε‖Σ‖
// where eigenvalues of the squared product carry ε‖Σ‖², whose square roots
// left FID(S, S) at −5e-5 on real features instead of 0. Rank-deficient
// covariances (fewer samples than dimensions) give clamped zeros, not NaN.
#include <ATen/core/Tensor.h>

namespace scorch::evaluation {

// Inputs are converted to float64; `mu` is [D], `sigma` [D, D]. Throws
// UserError when the dimensions differ.
double frechet_distance(const at::Tensor& mu1, const at::Tensor& sigma1, const at::Tensor& mu2, const at::Tensor& sigma2);

// tr √(Σ1 Σ2) for symmetric positive semi-definite Σ1, Σ2 (float64).
double trace_sqrt_product(const at::Tensor& sigma1, const at::Tensor& sigma2);

}  // namespace scorch::evaluation
