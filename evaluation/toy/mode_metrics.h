#pragma once
// Metrics for samples of the 2-D toys whose modes are known
// (models/toy_distributions.h):
//   - mode shares: each sample goes to its nearest mode centre; the shares are
//     compared with the true weights (largest absolute error, total variation);
//   - precision, recall and F1 from the precision–recall curve of Sajjadi et
//     al. (2018), as the DLPM authors compute it: k-means on the union of a
//     reference draw and the samples, cluster histograms P (reference) and Q
//     (samples), α(λ) = Σ min(λP, Q), β(λ) = α(λ)/λ over angles θ ∈ (0, π/2),
//     λ = tan θ, the curves averaged over runs; precision = max F_{1/8}(α, β),
//     recall = max F_8(α, β), F1 = 2PR/(P + R);
//   - the tail error of heavy-tailed samples: the mean over quantile levels
//     p ∈ (ξ, 1) of (log q̂(p) − log q(p))², where q and q̂ are the quantiles of
//     the sample norms ‖x‖ of the reference and of the samples (the DLPM
//     slides' MSLE_ξ, eq. 54, normalised by 1 − ξ).
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace scorch::evaluation {

struct ModeShares {
  std::vector<double> shares;  // per mode, sums to 1
  double max_error = 0.0;      // max_k |share_k − w_k|
  double total_variation = 0.0;  // ½ Σ_k |share_k − w_k|
};
// samples [N, D]; centers [K, D]; weights [K].
ModeShares mode_shares(const at::Tensor& samples, const at::Tensor& centers, const at::Tensor& weights);

struct PrdSettings {
  std::int64_t clusters = 20;
  std::int64_t angles = 1001;
  std::int64_t runs = 10;
  std::int64_t max_iterations = 100;  // Lloyd iterations per k-means run
  std::uint64_t seed = 0;
};
struct PrecisionRecall {
  double precision = 0.0, recall = 0.0, f1 = 0.0;
};
// reference [N, D] and samples [M, D], float64.
PrecisionRecall prd_precision_recall(const at::Tensor& reference, const at::Tensor& samples, const PrdSettings& settings);

// The tail error on `levels` quantile levels evenly spaced in (ξ, 1).
double tail_log_quantile_error(const at::Tensor& reference, const at::Tensor& samples, double xi,
                               std::int64_t levels = 50);

}  // namespace scorch::evaluation
