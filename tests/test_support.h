#pragma once
// Shared helpers for the unit tests: quadrature and Monte-Carlo tolerances.
#include <ATen/ATen.h>

#include <cmath>
#include <functional>

namespace scorch::testing {

// Composite Simpson rule of f on [a, b] with n (even) intervals; f maps a
// float64 tensor of abscissae to values.
inline double simpson(const std::function<at::Tensor(const at::Tensor&)>& f, double a, double b, int n = 20000) {
  const at::Tensor x = at::linspace(a, b, n + 1, at::kDouble);
  at::Tensor w = at::ones({n + 1}, at::kDouble);
  w.slice(0, 1, n, 2).fill_(4.0);
  w.slice(0, 2, n - 1, 2).fill_(2.0);
  return (f(x) * w).sum().item<double>() * (b - a) / (3.0 * n);
}

// Standard error of the mean of a 1-D sample.
inline double standard_error(const at::Tensor& sample) {
  return sample.to(at::kDouble).std().item<double>() / std::sqrt(static_cast<double>(sample.numel()));
}

}  // namespace scorch::testing
