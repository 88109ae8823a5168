#include "evaluation/report/metric_table.h"

#include "common/text_list.h"
#include "common/name_table.h"
#include "common/user_error.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>


namespace scorch::evaluation {

const std::vector<MetricEntry>& metric_table() {
  namespace k = report_key;
  // name, samples, extractor, reference, all features, test data, toy, columns, plots
  static const std::vector<MetricEntry> table = {
      {Metric::fid, "fid", true, true, true, false, false, false, {{"FID", "", "", 2}}, {{"", "FID", "FID"}}},
      {Metric::is, "is", true, true, false, false, false, false, {{"IS", "", k::is_std, 2}},
       {{"", "Inception Score", "IS"}}},
      {Metric::kid, "kid", true, true, true, true, false, false, {{"KID", "", k::kid_std, 4}}, {{"", "KID", "KID"}}},
      {Metric::precision, "precision", true, true, true, true, false, false, {{"precision", "", "", 3}},
       {{"precision_recall", "share", "precision"}}},
      {Metric::recall, "recall", true, true, true, true, false, false, {{"recall", "", "", 3}},
       {{"precision_recall", "share", "recall"}}},
      {Metric::nll, "nll", false, false, false, false, true, false, {{"NLL (bits/dim)", k::nll_bpd, k::nll_bpd_ci95, 3}},
       {{"bits_per_dim", "bits/dim", "ODE NLL"}}},
      {Metric::bound, "bound", false, false, false, false, true, false,
       {{"bound (bits/dim)", k::bound_bpd, k::bound_bpd_ci95, 3}}, {{"bits_per_dim", "bits/dim", "DSM bound"}}},
      {Metric::modes, "modes", true, false, false, false, false, true,
       {{"majority share", "majority_share", "", 3},
        {"mode share TV", "mode_share_tv", "", 3},
        {"PRD precision", k::prd_precision, "", 3},
        {"PRD recall", k::prd_recall, "", 3},
        {"PRD F1", k::prd_f1, "", 3}},
       {}},
      {Metric::tail, "tail", true, false, false, false, false, true, {{"tail MSLE", "tail_msle", "", 3}}, {}},
  };
  return table;
}

const std::vector<MetricColumn>& cost_columns() {
  static const std::vector<MetricColumn> columns = {{"sampling NFE", report_key::sample_nfe, "", 1},
                                                    {"NLL NFE", report_key::nll_nfe, "", 1}};
  return columns;
}

const MetricEntry& metric_entry(Metric metric) { return row_of(metric_table(), metric); }

std::string to_string(Metric metric) { return metric_entry(metric).name; }

std::vector<std::string> metric_names() { return table_names(metric_table()); }

std::string column_key(const MetricEntry& entry, const MetricColumn& column) {
  return *column.key ? column.key : entry.name;
}

std::set<Metric> parse_metric_list(const std::string& text) {
  const std::string names = fmt::format("{}", fmt::join(metric_names(), ", "));
  std::set<Metric> metrics;
  for (const std::string& item : split_comma_list(text)) {
    const auto row = std::find_if(metric_table().begin(), metric_table().end(),
                                  [&](const MetricEntry& entry) { return item == entry.name; });
    if (row == metric_table().end()) {
      throw UserError(fmt::format("metrics: unknown metric '{}' (choose from {})", item, names));
    }
    metrics.insert(row->value);
  }
  if (metrics.empty()) throw UserError("metrics: name at least one of " + names);
  return metrics;
}

}  // namespace scorch::evaluation
