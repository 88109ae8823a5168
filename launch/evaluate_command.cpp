// `scorch evaluate`: metrics for every checkpoint of a run (FID, IS, ODE NLL,
// DSM bound, and the toys' mode and tail metrics), split over the ranks of a
// job, resumable unit by unit, with a JSON + Markdown report, sample grids and
// plots. The pipeline itself is evaluation/evaluation_pipeline.h.
#include "common/communicator.h"
#include "common/config.h"
#include "common/log.h"
#include "common/user_error.h"
#include "evaluation/evaluation_config.h"
#include "evaluation/evaluation_pipeline.h"
#include "evaluation/report/evaluation_report.h"
#include "launch/checkpoint_model.h"
#include "launch/commands.h"
#include "launch/job_communicator.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>

namespace scorch::launch {
namespace {

using json = nlohmann::ordered_json;

struct EvaluateOptions {
  std::string config;
  std::string checkpoints;
  std::string report;
  std::vector<std::string> overrides;
};

void run_evaluate(const EvaluateOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::string> overrides = options.overrides;
  if (!options.checkpoints.empty()) overrides.push_back("checkpoints=" + options.checkpoints);
  if (!options.report.empty()) overrides.push_back("report=" + options.report);
  const Config config = Config::load_file(evaluation::evaluation_schema(), options.config, overrides);
  if (config.string("checkpoints").empty()) {
    throw UserError("no checkpoints: give --checkpoints DIR|LIST or `checkpoints:` in " + options.config);
  }
  const std::vector<std::string> checkpoints = list_checkpoints(config.string("checkpoints"));
  const auto communicator = make_job_communicator(distributed_settings_from(config));
  const std::string weights = config.string("weights");
  evaluation::EvaluationPipeline evaluation(config, *communicator, [weights](const std::string& path) {
    return evaluation::TrainedModel(load_checkpoint_model(path, weights));
  });
  const std::vector<std::string> stems = evaluation::unit_stems(checkpoints);
  std::vector<json> records;
  for (std::size_t i = 0; i < checkpoints.size(); ++i) {
    records.push_back(evaluation.evaluate(checkpoints[i], stems[i], i + 1, checkpoints.size()));
  }
  if (communicator->rank() != 0) return;
  // Checkpoints of a run (RUN/checkpoints/X.h5) bring the run's loss curve along.
  const std::filesystem::path run = std::filesystem::path(checkpoints.front()).parent_path().parent_path();
  const evaluation::ReportFiles files = evaluation::write_evaluation_report(
      evaluation.report(), evaluation.settings(), records, evaluation::training_loss_of((run / "metrics.jsonl").string()),
      config.boolean("summary"));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  log::info("evaluated {} checkpoint(s) in {:.0f} s; report in {}", checkpoints.size(), seconds, files.markdown);
  const json summary = {{"report", files.json}, {"checkpoints", records.size()}, {"seconds", seconds},
                        {"last", records.back()}};
  fmt::print("{}\n", summary.dump());
}

}  // namespace

void add_evaluate_command(CLI::App& app) {
  auto options = std::make_shared<EvaluateOptions>();
  CLI::App* evaluate =
      app.add_subcommand("evaluate", "Evaluate checkpoints (FID, IS, ODE NLL, DSM bound, toy modes and tails) and write a report; resumable");
  evaluate->add_option("--config", options->config, "evaluation config (YAML)")->required();
  evaluate->add_option("--checkpoints", options->checkpoints,
                       "run or checkpoints directory, or comma-separated checkpoint files (overrides the config)");
  evaluate->add_option("--report", options->report, "report directory (overrides the config)");
  evaluate->add_option("--set", options->overrides, "config override, e.g. --set samples.count=5000 (repeatable)")
      ->expected(1)
      ->take_all();
  evaluate->callback([options] { run_evaluate(*options); });
}

}  // namespace scorch::launch
