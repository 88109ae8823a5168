#include "models/analytic_gmm.h"

#include "common/user_error.h"
#include "models/sde.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <cmath>

namespace scorch::models {

AnalyticGmmModel::AnalyticGmmModel(GaussianMixture mixture, std::shared_ptr<const Sde> sde)
    : ScoreModel(Conditioning::time), mixture_(std::move(mixture)), sde_(std::move(sde)) {
  prepare();
}

AnalyticGmmModel::AnalyticGmmModel(GaussianMixture mixture, double noise_scale)
    : ScoreModel(Conditioning::noise_level), mixture_(std::move(mixture)), noise_scale_(noise_scale) {
  prepare();
}

void AnalyticGmmModel::prepare() {
  auto& m = mixture_;
  m.weights = m.weights.to(at::kDouble);
  m.means = m.means.to(at::kDouble);
  m.covariances = m.covariances.to(at::kDouble);
  const std::int64_t K = m.weights.numel();
  if (K == 0 || m.weights.dim() != 1 || m.means.dim() != 2 || m.means.size(0) != K || m.covariances.dim() != 3 ||
      m.covariances.size(0) != K || m.covariances.size(1) != m.means.size(1) || m.covariances.size(2) != m.means.size(1)) {
    throw UserError(fmt::format("analytic_gmm needs weights [K], means [K, D] and covariances [K, D, D]; got [{}], [{}], [{}]",
                                fmt::join(m.weights.sizes(), ", "), fmt::join(m.means.sizes(), ", "),
                                fmt::join(m.covariances.sizes(), ", ")));
  }
  if (!(m.weights > 0).all().item<bool>()) throw UserError("analytic_gmm weights must be positive");
  m.weights = m.weights / m.weights.sum();
  if (!at::allclose(m.covariances, m.covariances.transpose(1, 2))) throw UserError("analytic_gmm covariances must be symmetric");
  std::tie(eigenvalues_, eigenvectors_) = at::linalg_eigh(m.covariances);
  // Rounding in eigh scales with the matrix, so the tolerance is relative.
  const at::Tensor tolerance = 1e-10 * eigenvalues_.abs().amax(1, /*keepdim=*/true).clamp_min(1.0);
  if ((eigenvalues_ < -tolerance).any().item<bool>()) throw UserError("analytic_gmm covariances must be positive semi-definite");
  eigenvalues_ = eigenvalues_.clamp_min(0.0);
}

std::string AnalyticGmmModel::parameterisation() const {
  return sde_ ? fmt::format("exact score of the {}-perturbed Gaussian mixture at time t", sde_->name())
              : fmt::format("exact score of the Gaussian mixture perturbed by N(0, ({:g} sigma)^2 I)", noise_scale_);
}

std::pair<at::Tensor, at::Tensor> AnalyticGmmModel::kernel(const at::Tensor& conditioning) const {
  const at::Tensor c = conditioning.to(at::kDouble).reshape({-1});
  if (sde_) return {sde_->mean_coeff(c), sde_->marginal_std(c)};
  return {at::ones_like(c), noise_scale_ * c};
}

std::pair<at::Tensor, at::Tensor> AnalyticGmmModel::components(const at::Tensor& x, const at::Tensor& conditioning) const {
  const at::Tensor flat = x.to(at::kDouble).reshape({x.size(0), -1});
  const auto device = flat.device();
  const auto [a, s] = kernel(conditioning.to(device));
  const at::Tensor a2 = a.square().view({-1, 1, 1});  // [B, 1, 1]
  const at::Tensor s2 = s.square().view({-1, 1, 1});
  // Cov_k = U (a²λ + s²) Uᵀ, so Cov_k⁻¹ r = U ((Uᵀ r) / (a²λ + s²)).
  const at::Tensor variances = a2 * eigenvalues_.to(device).unsqueeze(0) + s2;        // [B, K, D]
  const at::Tensor residual = flat.unsqueeze(1) - a.view({-1, 1, 1}) * mixture_.means.to(device).unsqueeze(0);  // [B, K, D]
  const at::Tensor U = eigenvectors_.to(device);                                        // [K, D, D]
  const at::Tensor rotated = at::einsum("kdi,bkd->bki", {U, residual});                 // Uᵀ r
  const at::Tensor whitened = rotated / variances;
  const at::Tensor precision_residual = at::einsum("kdi,bki->bkd", {U, whitened});
  const double dim = static_cast<double>(flat.size(1));
  const at::Tensor log_normal =
      -0.5 * (rotated * whitened).sum(2) - 0.5 * at::log(variances).sum(2) - 0.5 * dim * std::log(2.0 * M_PI);
  return {log_normal, precision_residual};
}

at::Tensor AnalyticGmmModel::log_density(const at::Tensor& x, const at::Tensor& conditioning) const {
  const auto [log_normal, unused] = components(x, conditioning);
  return at::logsumexp(log_normal + at::log(mixture_.weights.to(log_normal.device())).unsqueeze(0), 1);
}

at::Tensor AnalyticGmmModel::score(const at::Tensor& x, const at::Tensor& conditioning) {
  const auto [log_normal, precision_residual] = components(x, conditioning);
  const at::Tensor responsibilities =
      at::softmax(log_normal + at::log(mixture_.weights.to(log_normal.device())).unsqueeze(0), 1);  // [B, K]
  const at::Tensor score = -(responsibilities.unsqueeze(2) * precision_residual).sum(1);
  return score.reshape(x.sizes()).to(x.scalar_type());
}

}  // namespace scorch::models
