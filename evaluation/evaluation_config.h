#pragma once
// The config of `scorch evaluate` (EVAL.yaml): which checkpoints, which
// metrics, how samples are drawn (the sampler.* keys of `scorch sample`), and
// the settings of each metric.
#include "common/config_fwd.h"
#include "evaluation/likelihood/likelihood_evaluation.h"
#include "evaluation/report/metric_table.h"

#include <set>
#include <string>

namespace scorch::evaluation {

const ConfigSchema& evaluation_schema();

// metrics: a comma-separated subset of the metric table's names.
std::set<Metric> requested_metrics(const Config& config);

// The likelihood.* and bound.* keys; `training_eps` stands in for likelihood.eps = 0.
LikelihoodEvaluationSettings likelihood_settings_from(const Config& config, double training_eps);

}  // namespace scorch::evaluation
