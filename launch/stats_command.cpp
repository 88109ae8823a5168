// `scorch stats`: the FID reference statistics of a dataset file.
#include "common/log.h"
#include "evaluation/features/image_features.h"
#include "launch/commands.h"
#include "launch/job_communicator.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace scorch::launch {
namespace {

struct StatsOptions {
  std::string data, features, out;
  std::int64_t batch_size = 250;
  std::int64_t limit = 0;
  DistributedSettings distributed;
};

void run_stats(const StatsOptions& options) {
  const auto communicator = make_job_communicator(options.distributed);
  const auto extractor = evaluation::load_feature_extractor(options.features, communicator->device());
  const evaluation::ImageFeatureSummary summary = evaluation::summarise_image_file(
      options.data, *extractor, {true, false}, *communicator, options.batch_size, options.limit);
  if (communicator->rank() != 0) return;
  evaluation::write_feature_statistics(options.out, *summary.statistics);
  log::info("wrote statistics of {} images ({}-d features, {}) to {}", summary.images,
            summary.statistics->mu.size(0), extractor->identity(), options.out);
  const nlohmann::ordered_json result = {{"out", options.out},
                                         {"images", summary.images},
                                         {"dimension", summary.statistics->mu.size(0)},
                                         {"extractor", extractor->identity()}};
  fmt::print("{}\n", result.dump());
}

}  // namespace

void add_stats_command(CLI::App& app) {
  auto options = std::make_shared<StatsOptions>();
  CLI::App* stats = app.add_subcommand("stats", "Write FID reference statistics (mu, sigma) of a dataset file");
  stats->add_option("--data", options->data, "dataset file (.h5)")->required();
  stats->add_option("--features", options->features, "feature extractor: " + evaluation::feature_extractor_spec_help())->required();
  stats->add_option("--out", options->out, "output statistics file: .h5, or .npz holding mu and sigma in the layout pytorch-fid saves")->required();
  stats->add_option("--batch-size", options->batch_size, "images per extractor call (default 250)");
  stats->add_option("--limit", options->limit, "use only the first N images (default: all)");
  add_distributed_options(*stats, options->distributed);
  stats->callback([options] { run_stats(*options); });
}

}  // namespace scorch::launch
