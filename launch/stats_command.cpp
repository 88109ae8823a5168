// `scorch stats`: the FID reference statistics of a dataset file.
#include "common/log.h"
#include "evaluation/features/image_features.h"
#include "launch/commands.h"
#include "launch/image_feature_options.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace scorch::launch {
namespace {

struct StatsOptions : ImageFeatureOptions {
  std::string out;
};

void run_stats(const StatsOptions& options) {
  const ImageFeatureRun run = summarise_with_options(options, {true, false});
  if (run.communicator->rank() != 0) return;
  const evaluation::ImageFeatureSummary& summary = run.summary;
  evaluation::write_feature_statistics(options.out, *summary.statistics);
  log::info("wrote statistics of {} images ({}-d features, {}) to {}", summary.images,
            summary.statistics->mu.size(0), run.extractor->identity(), options.out);
  const nlohmann::ordered_json result = {{"out", options.out},
                                         {"images", summary.images},
                                         {"dimension", summary.statistics->mu.size(0)},
                                         {"extractor", run.extractor->identity()}};
  fmt::print("{}\n", result.dump());
}

}  // namespace

void add_stats_command(CLI::App& app) {
  auto options = std::make_shared<StatsOptions>();
  CLI::App* stats = app.add_subcommand("stats", "Write FID reference statistics (mu, sigma) of a dataset file");
  stats->add_option("--data", options->data, "dataset file (.h5) or sample-shard directory")->required();
  stats->add_option("--out", options->out, "output statistics file: .h5, or .npz holding mu and sigma in the layout pytorch-fid saves")->required();
  add_image_feature_options(*stats, *options);
  stats->callback([options] { run_stats(*options); });
}

}  // namespace scorch::launch
