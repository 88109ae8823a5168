// `scorch is`: the Inception Score of the images in a dataset file, as
// torch-fidelity computes it (docs/evaluation.md).
#include "common/log.h"
#include "evaluation/features/image_features.h"
#include "evaluation/report/metric_table.h"
#include "launch/commands.h"
#include "launch/image_feature_options.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace scorch::launch {
namespace {

void run_is(const ImageFeatureOptions& options) {
  const ImageFeatureRun run = summarise_with_options(options, {false, true});
  if (run.communicator->rank() != 0) return;
  const evaluation::InceptionScore& score = *run.summary.inception_score;
  log::info("IS {:.4f} ± {:.4f} over {} images of {}", score.mean, score.std, run.summary.images, options.data);
  const nlohmann::ordered_json result = {{evaluation::to_string(evaluation::Metric::is), score.mean},
                                         {evaluation::report_key::is_std, score.std},
                                         {"images", run.summary.images},
                                         {"splits", evaluation::kInceptionScoreSplits},
                                         {"data", options.data},
                                         {"extractor", run.extractor->identity()}};
  fmt::print("{}\n", result.dump());
}

}  // namespace

void add_is_command(CLI::App& app) {
  auto options = std::make_shared<ImageFeatureOptions>();
  // The command is named after the metric it computes.
  CLI::App* command = app.add_subcommand(evaluation::to_string(evaluation::Metric::is),
                                         "Inception Score of the images in a dataset file (10 splits)");
  command->add_option("DATA", options->data, "dataset file (.h5), such as a sample file, or sample-shard directory")->required();
  add_image_feature_options(*command, *options);
  command->callback([options] { run_is(*options); });
}

}  // namespace scorch::launch
