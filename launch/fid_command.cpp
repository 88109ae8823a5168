// `scorch fid A B`: the Fréchet distance between two statistics files (ours
// or numpy .npz), or dataset files whose statistics are computed on the fly.
#include "common/log.h"
#include "common/user_error.h"
#include "evaluation/features/frechet_distance.h"
#include "evaluation/features/image_features.h"
#include "evaluation/report/metric_table.h"
#include "launch/commands.h"
#include "launch/job_communicator.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace scorch::launch {
namespace {

struct FidOptions {
  std::string a, b, features;
  std::int64_t batch_size = 250;
  DistributedSettings distributed;
};

void run_fid(const FidOptions& options) {
  const auto communicator = make_job_communicator(options.distributed);
  std::unique_ptr<evaluation::FeatureExtractor> extractor;
  if (!options.features.empty()) {
    extractor = evaluation::load_feature_extractor(options.features, communicator->device());
  }
  const evaluation::FeatureStatistics a =
      evaluation::statistics_of(options.a, extractor.get(), *communicator, options.batch_size);
  const evaluation::FeatureStatistics b =
      evaluation::statistics_of(options.b, extractor.get(), *communicator, options.batch_size);
  if (!a.extractor.empty() && !b.extractor.empty() && a.extractor != b.extractor) {
    throw UserError(fmt::format("{} and {} were computed with different extractors ({} vs {})", options.a, options.b,
                                a.extractor, b.extractor));
  }
  const double fid = evaluation::frechet_distance(a.mu, a.sigma, b.mu, b.sigma);
  if (communicator->rank() != 0) return;
  log::info("FID {:.4f} between {} and {}", fid, options.a, options.b);
  const nlohmann::ordered_json result = {{evaluation::to_string(evaluation::Metric::fid), fid}, {"a", options.a}, {"b", options.b},
                                         {"dimension", a.mu.size(0)}};
  fmt::print("{}\n", result.dump());
}

}  // namespace

void add_fid_command(CLI::App& app) {
  auto options = std::make_shared<FidOptions>();
  // The command is named after the metric it computes.
  CLI::App* fid = app.add_subcommand(evaluation::to_string(evaluation::Metric::fid), "Fréchet distance between two statistics (.h5/.npz) or dataset files");
  fid->add_option("A", options->a, "statistics (.h5 from `scorch stats`, .npz with mu and sigma), dataset file, or sample-shard directory")
      ->required();
  fid->add_option("B", options->b, "the same for the other side")->required();
  fid->add_option("--features", options->features,
                  "extractor for dataset-file arguments: " + evaluation::feature_extractor_spec_help());
  fid->add_option("--batch-size", options->batch_size, "images per extractor call (default 250)");
  add_distributed_options(*fid, options->distributed);
  fid->callback([options] { run_fid(*options); });
}

}  // namespace scorch::launch
