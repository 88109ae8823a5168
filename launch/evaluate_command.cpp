// `scorch evaluate`: metrics for every checkpoint of a run (FID, IS, ODE NLL,
// DSM bound, and the toys' mode and tail metrics), split over the ranks of a
// job, resumable unit by unit and shard by shard, with a JSON + Markdown
// report, sample grids and plots; with --watch, while the run trains. The pipeline itself is evaluation/evaluation_pipeline.h.
#include "common/communicator.h"
#include "common/config.h"
#include "common/log.h"
#include "common/user_error.h"
#include "evaluation/evaluation_config.h"
#include "evaluation/evaluation_pipeline.h"
#include "evaluation/report/evaluation_report.h"
#include "launch/checkpoint_model.h"
#include "launch/checkpoint_watch.h"
#include "launch/commands.h"
#include "launch/job_communicator.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <thread>

namespace scorch::launch {
namespace {

using json = nlohmann::ordered_json;

struct EvaluateOptions {
  std::string config;
  std::string checkpoints;
  std::string report;
  std::vector<std::string> overrides;
  bool watch = false;
  double watch_timeout = 0.0;    // seconds; 0: until training finishes
  double watch_interval = 60.0;  // seconds between looks at the run
};

// The report of the checkpoints evaluated so far (rank 0), and its one-line summary.
class ReportWriter {
 public:
  ReportWriter(const Config& config, const evaluation::EvaluationPipeline& evaluation)
      : config_(config), evaluation_(evaluation) {}

  evaluation::ReportFiles write(const std::vector<json>& records) const {
    // Checkpoints of a run (RUN/checkpoints/X.h5) bring the run's loss curve along.
    const std::filesystem::path run =
        std::filesystem::path(records.front()["checkpoint"].get<std::string>()).parent_path().parent_path();
    return evaluation::write_evaluation_report(evaluation_.report(), evaluation_.settings(), records,
                                               evaluation::training_loss_of((run / "metrics.jsonl").string()),
                                               config_.boolean("summary"));
  }

 private:
  const Config& config_;
  const evaluation::EvaluationPipeline& evaluation_;
};

std::vector<json> evaluate_listed(const std::vector<std::string>& checkpoints,
                                  evaluation::EvaluationPipeline& evaluation) {
  const std::vector<std::string> stems = evaluation::unit_stems(checkpoints);
  std::vector<json> records;
  for (std::size_t i = 0; i < checkpoints.size(); ++i) {
    records.push_back(evaluation.evaluate(checkpoints[i], stems[i], i + 1, checkpoints.size()));
  }
  return records;
}

// Follows a training run: evaluates each checkpoint as it appears, rewriting
// the report after each, until training has finished and its final checkpoint
// is evaluated, or the timeout. A requeued watch walks the checkpoints again,
// and their finished units make that quick.
std::vector<json> evaluate_watched(const EvaluateOptions& options, const Config& config,
                                   evaluation::EvaluationPipeline& evaluation, Communicator& communicator,
                                   const ReportWriter& report) {
  CheckpointWatch watch(config.string("checkpoints"), communicator);
  if (communicator.rank() == 0) {
    log::info("watching {} every {:g} s{}", watch.directory(), options.watch_interval,
              options.watch_timeout > 0 ? fmt::format(", for at most {:g} s", options.watch_timeout) : std::string());
  }
  const auto started = std::chrono::steady_clock::now();
  std::vector<json> records;
  while (true) {
    const CheckpointWatch::Poll poll = watch.poll();
    for (const std::string& path : poll.fresh) {
      if (!watch.still_there(path)) {
        if (communicator.rank() == 0) {
          log::warn("{} was removed (training's checkpoint.keep) before it could be evaluated; skipping it", path);
        }
        continue;
      }
      const std::string stem = std::filesystem::path(path).stem().string();
      records.push_back(evaluation.evaluate(path, stem, records.size() + 1, 0));
      if (communicator.rank() == 0) report.write(records);
    }
    if (poll.finished) {
      if (communicator.rank() == 0) log::info("training finished and its final checkpoint is evaluated");
      break;
    }
    const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (watch.as_rank0_decides(options.watch_timeout > 0 && waited + options.watch_interval > options.watch_timeout)) {
      if (communicator.rank() == 0) {
        log::warn("--watch-timeout {:g} s reached before training finished; {} checkpoint(s) evaluated",
                  options.watch_timeout, records.size());
      }
      break;
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(options.watch_interval));
  }
  return records;
}

void run_evaluate(const EvaluateOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::string> overrides = options.overrides;
  if (!options.checkpoints.empty()) overrides.push_back("checkpoints=" + options.checkpoints);
  if (!options.report.empty()) overrides.push_back("report=" + options.report);
  const Config config = Config::load_file(evaluation::evaluation_schema(), options.config, overrides);
  if (config.string("checkpoints").empty()) {
    throw UserError("no checkpoints: give --checkpoints DIR|LIST or `checkpoints:` in " + options.config);
  }
  if (options.watch_interval <= 0) throw UserError("--watch-interval must be positive");
  if (options.watch_timeout < 0) throw UserError("--watch-timeout must not be negative");
  // The checkpoints are checked before the job starts its ranks' work.
  const std::string checkpoints = config.string("checkpoints");
  // A run directory that does not exist yet is fine: the watch waits for training to make it.
  std::error_code unreadable;
  if (options.watch && (checkpoints.find(',') != std::string::npos ||
                        (std::filesystem::exists(checkpoints, unreadable) &&
                         !std::filesystem::is_directory(checkpoints, unreadable)))) {
    throw UserError("--watch follows a run directory; " + checkpoints + " is not one");
  }
  const std::vector<std::string> listed = options.watch ? std::vector<std::string>() : list_checkpoints(checkpoints);
  const auto communicator = make_job_communicator(distributed_settings_from(config));
  const std::string weights = config.string("weights");
  evaluation::EvaluationPipeline evaluation(config, *communicator, [weights](const std::string& path) {
    return evaluation::TrainedModel(load_checkpoint_model(path, weights));
  });
  const ReportWriter report(config, evaluation);
  const std::vector<json> records = options.watch
                                        ? evaluate_watched(options, config, evaluation, *communicator, report)
                                        : evaluate_listed(listed, evaluation);
  if (communicator->rank() != 0) return;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  json summary = {{"report", nullptr}, {"checkpoints", records.size()}, {"seconds", seconds}, {"last", nullptr}};
  if (!records.empty()) {
    const evaluation::ReportFiles files = report.write(records);
    log::info("evaluated {} checkpoint(s) in {:.0f} s; report in {}", records.size(), seconds, files.markdown);
    summary["report"] = files.json;
    summary["last"] = records.back();
  }
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
  evaluate->add_flag("--watch", options->watch,
                     "follow a training run: evaluate each new checkpoint as it appears, until training has "
                     "finished and its final checkpoint is evaluated");
  evaluate->add_option("--watch-timeout", options->watch_timeout,
                       "with --watch: stop after this many seconds even if training goes on (default 0: no limit)");
  evaluate->add_option("--watch-interval", options->watch_interval,
                       "with --watch: seconds between looks at the run directory (default 60)");
  evaluate->callback([options] { run_evaluate(*options); });
}

}  // namespace scorch::launch
