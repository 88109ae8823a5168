#pragma once
// The `modes` and `tail` metrics of `scorch evaluate` for models trained on a
// data.synthetic toy: samples against the toy's known modes and against a
// fresh draw of the true distribution (mode_metrics.h has the definitions).
#include "evaluation/toy/mode_metrics.h"
#include "models/toy_distributions.h"

#include <map>
#include <string>

namespace scorch::evaluation {

struct ToyMetricSettings {
  bool modes = false;
  bool tail = false;
  PrdSettings prd;
  double tail_xi = 0.95;
  std::int64_t tail_reference_count = 100000;
  std::uint64_t data_seed = 0;  // the training run's seed, which drew its toy data
};

struct ToyMetrics {
  std::vector<double> shares;           // modes: per mode, in the toy's mode order
  std::map<std::string, double> values;  // majority_share, mode_share_max_error, mode_share_tv, prd_precision, prd_recall, prd_f1, tail_msle
};

// samples [N, 2]. The reference points are the toy's points after its
// training set (indices count, count + 1, …), so they were never trained on.
ToyMetrics evaluate_toy_samples(const at::Tensor& samples, const models::ToySpec& spec,
                                const ToyMetricSettings& settings);

}  // namespace scorch::evaluation
