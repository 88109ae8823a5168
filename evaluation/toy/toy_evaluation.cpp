#include "evaluation/toy/toy_evaluation.h"

#include "evaluation/report/metric_table.h"

#include <ATen/ATen.h>

#include <algorithm>

namespace scorch::evaluation {

ToyMetrics evaluate_toy_samples(const at::Tensor& samples, const models::ToySpec& spec,
                                const ToyMetricSettings& settings) {
  ToyMetrics metrics;
  const at::Tensor x = samples.to(at::kDouble).cpu().reshape({samples.size(0), -1});
  if (settings.modes) {
    const models::ModeLayout layout = models::mode_layout(spec);
    const ModeShares shares = mode_shares(x, layout.centers, layout.weights);
    metrics.shares = shares.shares;
    // The heaviest mode's share: the heavy-tailed DSM paper's "majority share".
    const std::int64_t heaviest = layout.weights.argmax().item<std::int64_t>();
    metrics.values["majority_share"] = shares.shares[static_cast<std::size_t>(heaviest)];
    metrics.values["mode_share_max_error"] = shares.max_error;
    metrics.values["mode_share_tv"] = shares.total_variation;
    const at::Tensor reference = models::toy_points(spec, settings.data_seed, spec.count, x.size(0));
    const PrecisionRecall pr = prd_precision_recall(reference, x, settings.prd);
    metrics.values[report_key::prd_precision] = pr.precision;
    metrics.values[report_key::prd_recall] = pr.recall;
    metrics.values[report_key::prd_f1] = pr.f1;
  }
  if (settings.tail) {
    const std::int64_t count = std::max(settings.tail_reference_count, x.size(0));
    const at::Tensor reference = models::toy_points(spec, settings.data_seed, spec.count, count);
    metrics.values["tail_msle"] = tail_log_quantile_error(reference, x, settings.tail_xi);
  }
  return metrics;
}

}  // namespace scorch::evaluation
