#include "evaluation/toy/mode_metrics.h"

#include "common/random_stream.h"
#include "common/user_error.h"
#include "evaluation/toy/kmeans.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <cmath>

namespace scorch::evaluation {
namespace {

// F_β(p, r) = (1 + β²) p r / (β² p + r), 0 where p = r = 0.
at::Tensor f_beta(const at::Tensor& precision, const at::Tensor& recall, double beta) {
  const double b2 = beta * beta;
  const at::Tensor denominator = b2 * precision + recall;
  return at::where(denominator > 0, (1.0 + b2) * precision * recall / denominator.clamp_min(1e-300),
                   at::zeros_like(denominator));
}

void require_points(const at::Tensor& points, const char* what) {
  if (points.dim() != 2 || points.size(0) < 1) throw UserError(fmt::format("{} must be points [N, D] with N ≥ 1", what));
  if (!at::isfinite(points).all().item<bool>()) {
    throw UserError(fmt::format("{} hold non-finite values; the sampler diverged", what));
  }
}

}  // namespace

ModeShares mode_shares(const at::Tensor& samples, const at::Tensor& centers, const at::Tensor& weights) {
  require_points(samples, "samples");
  const at::Tensor x = samples.to(at::kDouble).cpu();
  const at::Tensor nearest = at::cdist(x, centers.to(at::kDouble)).argmin(1);
  const std::int64_t modes = centers.size(0);
  const at::Tensor shares = at::bincount(nearest, {}, modes).to(at::kDouble) / static_cast<double>(x.size(0));
  const at::Tensor error = (shares - weights.to(at::kDouble) / weights.sum()).abs();
  ModeShares result;
  result.shares.assign(shares.data_ptr<double>(), shares.data_ptr<double>() + modes);
  result.max_error = error.max().item<double>();
  result.total_variation = 0.5 * error.sum().item<double>();
  return result;
}

PrecisionRecall prd_precision_recall(const at::Tensor& reference, const at::Tensor& samples, const PrdSettings& settings) {
  require_points(reference, "reference points");
  require_points(samples, "samples");
  const at::Tensor ref = reference.to(at::kDouble).cpu(), gen = samples.to(at::kDouble).cpu();
  const at::Tensor both = at::cat({ref, gen});
  const std::int64_t n_ref = ref.size(0);
  // Angles strictly inside (0, π/2), as in the reference implementation.
  constexpr double kEdge = 1e-10;
  const at::Tensor lambdas = at::tan(at::linspace(kEdge, M_PI / 2.0 - kEdge, settings.angles, at::kDouble));
  at::Tensor precision = at::zeros({settings.angles}, at::kDouble), recall = at::zeros_like(precision);
  for (std::int64_t run = 0; run < settings.runs; ++run) {
    at::Generator generator = make_generator({settings.seed, RandomPurpose::metric_clustering, 0}, run);
    const at::Tensor labels = kmeans_labels(both, settings.clusters, settings.max_iterations, generator);
    const at::Tensor p = at::bincount(labels.slice(0, 0, n_ref), {}, settings.clusters).to(at::kDouble) / n_ref;
    const at::Tensor q = at::bincount(labels.slice(0, n_ref), {}, settings.clusters).to(at::kDouble) / gen.size(0);
    const at::Tensor alpha = at::minimum(lambdas.unsqueeze(1) * p.unsqueeze(0), q.unsqueeze(0)).sum(1).clamp(0, 1);
    precision += alpha;
    recall += (alpha / lambdas).clamp(0, 1);
  }
  precision /= static_cast<double>(settings.runs);
  recall /= static_cast<double>(settings.runs);
  PrecisionRecall result;
  result.precision = f_beta(precision, recall, 1.0 / 8.0).max().item<double>();
  result.recall = f_beta(precision, recall, 8.0).max().item<double>();
  const double sum = result.precision + result.recall;
  result.f1 = sum > 0.0 ? 2.0 * result.precision * result.recall / sum : 0.0;
  return result;
}

double tail_log_quantile_error(const at::Tensor& reference, const at::Tensor& samples, double xi, std::int64_t levels) {
  require_points(reference, "reference points");
  require_points(samples, "samples");
  if (!(xi > 0.0 && xi < 1.0) || levels < 1) throw UserError("the tail error needs 0 < ξ < 1 and at least 1 level");
  // Midpoints of `levels` equal cells of (ξ, 1).
  const at::Tensor p = xi + (1.0 - xi) * (at::arange(levels, at::kDouble) + 0.5) / static_cast<double>(levels);
  const auto log_quantiles = [&](const at::Tensor& points) {
    return at::log(at::quantile(points.to(at::kDouble).cpu().norm(2, 1), p));
  };
  return (log_quantiles(samples) - log_quantiles(reference)).square().mean().item<double>();
}

}  // namespace scorch::evaluation
