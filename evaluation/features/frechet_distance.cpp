#include "evaluation/features/frechet_distance.h"

#include "common/user_error.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

namespace scorch::evaluation {
namespace {

at::Tensor symmetrised(const at::Tensor& m) { return 0.5 * (m + m.t()); }

// √S of a symmetric PSD matrix; eigenvalues below zero are round-off and clamped.
at::Tensor symmetric_sqrt(const at::Tensor& s) {
  const auto [eigenvalues, eigenvectors] = at::linalg_eigh(symmetrised(s));
  return eigenvectors.matmul(at::diag(eigenvalues.clamp_min(0.0).sqrt())).matmul(eigenvectors.t());
}

void check_shapes(const at::Tensor& mu, const at::Tensor& sigma, const char* which) {
  if (mu.dim() != 1 || sigma.dim() != 2 || sigma.size(0) != mu.size(0) || sigma.size(1) != mu.size(0)) {
    throw UserError(fmt::format("FID: statistics {} need mu [D] and sigma [D, D] (got mu {}, sigma {})", which,
                                fmt::join(mu.sizes(), "x"), fmt::join(sigma.sizes(), "x")));
  }
}

}  // namespace

double trace_sqrt_product(const at::Tensor& sigma1, const at::Tensor& sigma2) {
  const at::Tensor a = symmetric_sqrt(sigma1.to(at::kDouble));
  const at::Tensor b = symmetric_sqrt(sigma2.to(at::kDouble));
  return at::linalg_svdvals(a.matmul(b)).sum().item<double>();
}

double frechet_distance(const at::Tensor& mu1, const at::Tensor& sigma1, const at::Tensor& mu2,
                        const at::Tensor& sigma2) {
  check_shapes(mu1, sigma1, "A");
  check_shapes(mu2, sigma2, "B");
  if (mu1.size(0) != mu2.size(0)) {
    throw UserError(fmt::format("FID: feature dimensions differ ({} vs {}); were both statistics computed with the "
                                "same extractor?",
                                mu1.size(0), mu2.size(0)));
  }
  const at::Tensor s1 = sigma1.to(at::kCPU, at::kDouble), s2 = sigma2.to(at::kCPU, at::kDouble);
  const double mean_term = (mu1.to(at::kCPU, at::kDouble) - mu2.to(at::kCPU, at::kDouble)).square().sum().item<double>();
  const double value = mean_term + s1.trace().item<double>() + s2.trace().item<double>() - 2.0 * trace_sqrt_product(s1, s2);
  if (!std::isfinite(value)) throw UserError("FID: the statistics hold non-finite values");
  return value;
}

}  // namespace scorch::evaluation
