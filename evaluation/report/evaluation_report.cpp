#include "evaluation/report/evaluation_report.h"

#include "common/durable_file.h"
#include "evaluation/report/metric_table.h"
#include "evaluation/report/svg_plot.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <utility>

namespace scorch::evaluation {
namespace {

using json = nlohmann::ordered_json;

// Checkpoint paths need not be UTF-8, and a finished evaluation should not be
// lost to a type_error when its report is dumped.
std::string dumped(const json& value, int indent = -1) {
  return value.dump(indent, ' ', false, json::error_handler_t::replace);
}

// NaN would print as "nan" in the table, so only finite numbers count.
std::optional<double> metric(const json& record, const std::string& name) {
  const auto metrics = record.find("metrics");
  if (metrics == record.end() || !metrics->is_object()) return std::nullopt;
  const auto value = metrics->find(name);
  if (value == metrics->end() || !value->is_number()) return std::nullopt;
  const double number = value->get<double>();
  if (!std::isfinite(number)) return std::nullopt;
  return number;
}

bool any_has(const std::vector<json>& records, const std::string& name) {
  return std::any_of(records.begin(), records.end(), [&](const json& r) { return metric(r, name).has_value(); });
}

std::int64_t step_of(const json& record) {
  const auto step = record.find("step");
  return step != record.end() && step->is_number() ? step->get<std::int64_t>() : 0;
}

std::string text_of(const json& record, const char* key) {
  const auto text = record.find(key);
  return text != record.end() && text->is_string() ? text->get<std::string>() : std::string();
}

// A "|" inside a cell would end it.
std::string table_cell(const std::string& text) {
  std::string out;
  for (const char c : text) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

// A table column: its header, the metric it shows and the metric after "±".
struct Column {
  std::string header, value, spread;
  int decimals;
};

// The metric table's columns in table order, then the cost columns.
const std::vector<Column>& all_columns() {
  static const std::vector<Column> columns = [] {
    std::vector<Column> all;
    for (const MetricEntry& entry : metric_table()) {
      for (const MetricColumn& column : entry.columns) {
        all.push_back({column.header, column_key(entry, column), column.spread, column.decimals});
      }
    }
    for (const MetricColumn& column : cost_columns()) all.push_back({column.header, column.key, column.spread, column.decimals});
    return all;
  }();
  return columns;
}

std::string cell(const json& record, const Column& column) {
  const auto value = metric(record, column.value);
  if (!value) return "–";
  const auto spread = column.spread.empty() ? std::nullopt : metric(record, column.spread);
  if (spread) return fmt::format("{:.{}f} ± {:.{}f}", *value, column.decimals, *spread, column.decimals);
  return fmt::format("{:.{}f}", *value, column.decimals);
}

// The 97.5% quantile of Student's t with `df` degrees of freedom: exact to
// three decimals up to 30, then the first Cornish–Fisher correction to 1.96.
double student_t_975(std::int64_t df) {
  static const double table[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                                 2.201,  2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                                 2.080,  2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
  if (df <= 30) return table[std::max<std::int64_t>(df, 1) - 1];
  return 1.96 + 2.37 / static_cast<double>(df);
}

// Per shown metric: the mean over the records that have it and the half-width
// of its 95% t-interval (0 with one record).
json summary_of(const std::vector<json>& records, const std::vector<Column>& columns) {
  json summary = json::object();
  for (const Column& column : columns) {
    std::vector<double> values;
    for (const json& record : records) {
      if (const auto value = metric(record, column.value)) values.push_back(*value);
    }
    const double n = static_cast<double>(values.size());
    double mean = 0.0, squares = 0.0;
    for (double v : values) mean += v / n;
    for (double v : values) squares += (v - mean) * (v - mean);
    const double ci95 = values.size() > 1 ? student_t_975(static_cast<std::int64_t>(values.size()) - 1) *
                                                std::sqrt(squares / (n - 1.0) / n)
                                          : 0.0;
    summary[column.value] = {{"mean", mean}, {"ci95", ci95}, {"n", values.size()}};
  }
  return summary;
}

std::string summary_row(const json& summary, const std::vector<Column>& columns, std::size_t records) {
  std::string md = fmt::format("| | **mean ± 95% CI over {}** |", records);
  for (const Column& column : columns) {
    const json& entry = summary[column.value];
    md += fmt::format(" {:.{}f} ± {:.{}f} |", entry["mean"].get<double>(), column.decimals, entry["ci95"].get<double>(),
                      column.decimals);
  }
  return md + "\n";
}

std::string settings_section(const json& settings) {
  std::string md;
  for (const auto& [key, value] : settings.items()) {
    md += fmt::format("- {}: {}\n", key, value.is_string() ? value.get<std::string>() : dumped(value));
  }
  return md.empty() ? md : md + "\n";
}

// The file name, with its run's directory when it sits in RUN/checkpoints/,
// so the rows of several runs (one per seed) tell apart.
std::string checkpoint_label(const std::string& path) {
  const std::filesystem::path file(path);
  const std::filesystem::path folder = file.parent_path();
  if (folder.filename() == "checkpoints" && folder.has_parent_path() && !folder.parent_path().filename().empty()) {
    return (folder.parent_path().filename() / file.filename()).string();
  }
  return file.filename().string();
}

std::string table(const std::vector<json>& records, const std::vector<Column>& columns) {
  std::string header = "| step | checkpoint |", rule = "|---:|---|";
  for (const Column& column : columns) {
    header += " " + column.header + " |";
    rule += "---:|";
  }
  std::string md = header + "\n" + rule + "\n";
  for (const json& record : records) {
    md += fmt::format("| {} | {} |", step_of(record), table_cell(checkpoint_label(text_of(record, "checkpoint"))));
    for (const Column& column : columns) md += " " + cell(record, column) + " |";
    md += "\n";
  }
  return md;
}

std::string plots_section(const std::vector<std::string>& plots) {
  if (plots.empty()) return "";
  std::string md = "\n## Plots\n\n";
  for (const std::string& plot : plots) {
    md += fmt::format("![{}]({})\n\n", std::filesystem::path(plot).stem().string(), plot);
  }
  return md;
}

std::string samples_section(const std::vector<json>& records) {
  std::string md;
  for (auto record = records.rbegin(); record != records.rend(); ++record) {
    const std::string grid = text_of(*record, "grid");
    if (!grid.empty()) md += fmt::format("![step {}]({})\n\n", step_of(*record), grid);
  }
  return md.empty() ? md : "\n## Samples\n\nMost recent first.\n\n" + md;
}

PlotSeries series_of(const std::vector<json>& records, const std::string& name, const std::string& label) {
  PlotSeries series{label, {}, {}};
  for (const json& record : records) {
    if (const auto value = metric(record, name)) {
      series.x.push_back(static_cast<double>(step_of(record)));
      series.y.push_back(*value);
    }
  }
  return series;
}

// Writes the plots and returns their paths relative to `directory`.
std::vector<std::string> write_plots(const std::filesystem::path& directory, const std::vector<json>& records,
                                     const PlotSeries& training_loss) {
  std::vector<std::string> plots;
  const auto plot = [&](const std::string& name, const std::string& y_label, std::vector<PlotSeries> series) {
    std::filesystem::create_directories(directory / "plots");
    const std::string relative = "plots/" + name + ".svg";
    write_line_plot((directory / relative).string(),
                    {y_label + " by training step", "training step", y_label, std::move(series)});
    plots.push_back(relative);
  };
  // The metric table's plots in table order; metrics naming the same file share it.
  std::vector<std::pair<std::string, std::pair<std::string, std::vector<PlotSeries>>>> figures;
  for (const MetricEntry& entry : metric_table()) {
    for (const MetricPlot& figure : entry.plots) {
      const std::string file = *figure.file ? figure.file : entry.name;
      auto it = std::find_if(figures.begin(), figures.end(), [&](const auto& f) { return f.first == file; });
      if (it == figures.end()) it = figures.insert(figures.end(), {file, {figure.axis, {}}});
      const std::string key = column_key(entry, entry.columns.front());
      if (any_has(records, key)) it->second.second.push_back(series_of(records, key, figure.series));
    }
  }
  for (auto& [file, figure] : figures) {
    if (!figure.second.empty()) plot(file, figure.first, std::move(figure.second));
  }
  if (!training_loss.x.empty()) plot("training_loss", "training loss", {training_loss});
  return plots;
}

}  // namespace

ReportFiles write_evaluation_report(const std::string& directory, const nlohmann::ordered_json& settings,
                                    std::vector<nlohmann::ordered_json> records, const PlotSeries& training_loss,
                                    bool with_summary) {
  std::stable_sort(records.begin(), records.end(), [](const json& a, const json& b) {
    return std::make_pair(step_of(a), text_of(a, "checkpoint")) < std::make_pair(step_of(b), text_of(b, "checkpoint"));
  });
  const std::filesystem::path root(directory);
  std::filesystem::create_directories(root);
  ReportFiles files{(root / "report.json").string(), (root / "report.md").string(), {}};

  std::vector<Column> columns;
  for (const Column& column : all_columns()) {
    if (any_has(records, column.value)) columns.push_back(column);
  }
  json report = json::object();
  report["settings"] = settings;
  report["checkpoints"] = records;
  std::string rows = table(records, columns);
  if (with_summary && !records.empty()) {
    report["summary"] = summary_of(records, columns);
    rows += summary_row(report["summary"], columns, records.size());
  }
  write_text_file_atomically(files.json, dumped(report, 2) + "\n");

  const std::vector<std::string> plots = write_plots(root, records, training_loss);
  write_text_file_atomically(files.markdown, "# scorch evaluation report\n\n" + settings_section(settings) + rows +
                                                 plots_section(plots) + samples_section(records));
  for (const std::string& plot : plots) files.plots.push_back((root / plot).string());
  return files;
}

PlotSeries training_loss_of(const std::string& metrics_path) {
  PlotSeries loss{"training loss", {}, {}};
  std::ifstream in(metrics_path);
  std::string line;
  while (std::getline(in, line)) {
    const json record = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!record.is_object() || !record.contains("step") || !record["step"].is_number() || !record.contains("loss") ||
        !record["loss"].is_number()) {
      continue;
    }
    const double value = record["loss"].get<double>();
    if (!std::isfinite(value)) continue;
    loss.x.push_back(record["step"].get<double>());
    loss.y.push_back(value);
  }
  return loss;
}

}  // namespace scorch::evaluation
