// `scorch is`: the Inception Score of the images in a dataset file, as
// torch-fidelity computes it (docs/evaluation.md).
#include "common/log.h"
#include "evaluation/features/image_features.h"
#include "evaluation/report/metric_table.h"
#include "launch/commands.h"
#include "launch/job_communicator.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace scorch::launch {
namespace {

struct IsOptions {
  std::string data, features;
  std::int64_t batch_size = 250;
  std::int64_t limit = 0;
  DistributedSettings distributed;
};

void run_is(const IsOptions& options) {
  const auto communicator = make_job_communicator(options.distributed);
  const auto extractor = evaluation::load_feature_extractor(options.features, communicator->device());
  const evaluation::ImageFeatureSummary summary = evaluation::summarise_image_file(
      options.data, *extractor, {false, true}, *communicator, options.batch_size, options.limit);
  if (communicator->rank() != 0) return;
  const evaluation::InceptionScore& score = *summary.inception_score;
  log::info("IS {:.4f} ± {:.4f} over {} images of {}", score.mean, score.std, summary.images, options.data);
  const nlohmann::ordered_json result = {{evaluation::to_string(evaluation::Metric::is), score.mean},
                                         {evaluation::report_key::is_std, score.std},
                                         {"images", summary.images},
                                         {"splits", evaluation::kInceptionScoreSplits},
                                         {"data", options.data},
                                         {"extractor", extractor->identity()}};
  fmt::print("{}\n", result.dump());
}

}  // namespace

void add_is_command(CLI::App& app) {
  auto options = std::make_shared<IsOptions>();
  // The command is named after the metric it computes.
  CLI::App* command = app.add_subcommand(evaluation::to_string(evaluation::Metric::is),
                                         "Inception Score of the images in a dataset file (10 splits)");
  command->add_option("DATA", options->data, "dataset file (.h5), such as a sample file")->required();
  command->add_option("--features", options->features, "feature extractor: " + evaluation::feature_extractor_spec_help())
      ->required();
  command->add_option("--batch-size", options->batch_size, "images per extractor call (default 250)");
  command->add_option("--limit", options->limit, "use only the first N images (default: all)");
  add_distributed_options(*command, options->distributed);
  command->callback([options] { run_is(*options); });
}

}  // namespace scorch::launch
