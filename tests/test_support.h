#pragma once
// Shared helpers for the unit tests: quadrature and Monte-Carlo tolerances.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>

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

struct Moments {
  at::Tensor mean, covariance;
};

inline Moments moments_of(const at::Tensor& samples) {
  const at::Tensor mean = samples.mean(0);
  const at::Tensor centred = samples - mean;
  return {mean, centred.t().matmul(centred) / static_cast<double>(samples.size(0) - 1)};
}

// Checks sample moments against N(mean, covariance) within `z` standard errors.
inline void expect_gaussian_moments(const at::Tensor& samples, const at::Tensor& mean, const at::Tensor& covariance, double z,
                    const std::string& label) {
  const double n = static_cast<double>(samples.size(0));
  const Moments m = moments_of(samples);
  const std::int64_t D = mean.size(0);
  for (std::int64_t i = 0; i < D; ++i) {
    const double se_mean = std::sqrt(covariance[i][i].item<double>() / n);
    EXPECT_NEAR(m.mean[i].item<double>(), mean[i].item<double>(), z * se_mean) << label << " mean " << i;
    for (std::int64_t j = 0; j < D; ++j) {
      const double sij = covariance[i][j].item<double>();
      const double se_cov = std::sqrt((covariance[i][i].item<double>() * covariance[j][j].item<double>() + sij * sij) / n);
      EXPECT_NEAR(m.covariance[i][j].item<double>(), sij, z * se_cov) << label << " cov " << i << j;
    }
  }
}

}  // namespace scorch::testing
