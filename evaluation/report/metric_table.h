#pragma once
// The metrics of `scorch evaluate` by name: the one table that the evaluation
// config's `metrics` key, the pipeline (what each metric needs) and the report
// (its columns and plots) read. Adding a metric is one row here plus the code
// that computes its values in the pipeline.
#include <set>
#include <string>
#include <vector>

namespace scorch::evaluation {

enum class Metric { fid, is, kid, precision, recall, nll, bound, modes, tail };

// One report column: its header, the record key it shows (empty: the metric's
// own name) and the key shown after "±" (empty: none).
struct MetricColumn {
  const char* header;
  const char* key;
  const char* spread;
  int decimals;
};

// A metric's series in a report plot; metrics sharing a plot file share the plot.
struct MetricPlot {
  const char* file;  // plots/<file>.svg; empty: the metric's own name
  const char* axis;
  const char* series;
};

struct MetricEntry {
  Metric value;
  const char* name;
  bool needs_samples;     // drawn by samples.sampler
  bool needs_extractor;   // features.extractor
  bool needs_reference;   // features.reference
  bool needs_all_features;  // every sample's and reference image's features, not only their moments
  bool needs_test_data;   // likelihood.data
  bool needs_toy;         // a model trained on a data.synthetic toy
  std::vector<MetricColumn> columns;
  std::vector<MetricPlot> plots;
};

const std::vector<MetricEntry>& metric_table();
const MetricEntry& metric_entry(Metric metric);
std::string to_string(Metric metric);
std::vector<std::string> metric_names();
// The record key of a column.
std::string column_key(const MetricEntry& entry, const MetricColumn& column);

// The record keys the pipeline writes besides the metrics' own names.
namespace report_key {
inline constexpr const char* is_std = "is_std";
inline constexpr const char* kid_std = "kid_std";
// The toy metric `modes` reports the PRD curve's precision and recall (Sajjadi
// et al.), not the image metrics' k-NN ones; their keys keep them apart.
inline constexpr const char* prd_precision = "prd_precision";
inline constexpr const char* prd_recall = "prd_recall";
inline constexpr const char* prd_f1 = "prd_f1";
inline constexpr const char* nll_bpd = "nll_bpd";
inline constexpr const char* nll_bpd_ci95 = "nll_bpd_ci95";
inline constexpr const char* bound_bpd = "bound_bpd";
inline constexpr const char* bound_bpd_ci95 = "bound_bpd_ci95";
inline constexpr const char* sample_nfe = "sample_nfe";  // score evaluations per sample
inline constexpr const char* nll_nfe = "nll_nfe";        // drift evaluations per likelihood
inline constexpr const char* sampler = "sampler";        // a checkpoint's sampler settings, as used
}  // namespace report_key

// Report columns that are costs, not metrics, shown after every metric column.
const std::vector<MetricColumn>& cost_columns();

// A comma-separated subset of the table's names; UserError for an unknown or empty list.
std::set<Metric> parse_metric_list(const std::string& text);

}  // namespace scorch::evaluation
