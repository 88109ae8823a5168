#pragma once
// The report of `scorch evaluate`, written into one directory:
//   report.json  {"settings": ..., "checkpoints": [records sorted by step],
//                 "summary": {metric: {"mean", "ci95", "n"}} (with a summary)}
//   report.md    settings, a table with a row per checkpoint (and the summary
//                row: mean ± 95% Student-t interval over the checkpoints, for
//                one run per seed), the plots and the sample grids (most
//                recent first)
//   plots/<file>.svg                    the metric table's plots against the
//                                       training step: FID, IS, and ODE NLL and
//                                       DSM bound together in bits_per_dim.svg
//   plots/training_loss.svg             the run's logged training loss, when given
// A record is one evaluated checkpoint:
//   {"checkpoint": PATH, "step": N, "grid": "grids/x.png" (optional, relative to the directory),
//    "metrics": {KEY: value, ...}}
// with the keys of the metric table's columns (evaluation/report/metric_table.h:
// fid, is and is_std, nll_bpd and its ci95, the toy shares, precision, recall,
// prd_f1, tail_msle, the costs sample_nfe and nll_nfe, ...), where any may be absent. Non-finite metric values count as absent in
// the table and plots (report.json keeps the records as given, where JSON
// writes them as null). Table columns appear only for metrics some record has.
#include "evaluation/report/svg_plot.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace scorch::evaluation {

// Paths of the files written: directory/report.json, directory/report.md and
// directory/plots/<name>.svg.
struct ReportFiles {
  std::string json, markdown;
  std::vector<std::string> plots;
};

// Sorts the records by step (ties by checkpoint path), creates `directory` as
// needed and writes every file atomically. `settings` (an object describing
// the evaluation) is copied into report.json and listed in report.md. A
// non-empty `training_loss` (step, loss) is plotted too.
ReportFiles write_evaluation_report(const std::string& directory, const nlohmann::ordered_json& settings,
                                    std::vector<nlohmann::ordered_json> records, const PlotSeries& training_loss = {},
                                    bool with_summary = false);

// The (step, loss) records of a run's metrics.jsonl with a finite loss; empty
// when the file is missing. Lines that are not JSON records are skipped.
PlotSeries training_loss_of(const std::string& metrics_path);

}  // namespace scorch::evaluation
