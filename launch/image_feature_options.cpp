#include "launch/image_feature_options.h"

namespace scorch::launch {

void add_image_feature_options(CLI::App& command, ImageFeatureOptions& options) {
  command.add_option("--features", options.features, "feature extractor: " + evaluation::feature_extractor_spec_help())
      ->required();
  command.add_option("--batch-size", options.batch_size, "images per extractor call (default 250)");
  command.add_option("--limit", options.limit, "use only the first N images (default: all)");
  add_distributed_options(command, options.distributed);
}

ImageFeatureRun summarise_with_options(const ImageFeatureOptions& options, const evaluation::FeatureRequest& request) {
  ImageFeatureRun run;
  run.communicator = make_job_communicator(options.distributed);
  run.extractor = evaluation::load_feature_extractor(options.features, run.communicator->device());
  run.summary = evaluation::summarise_image_file(options.data, *run.extractor, request, *run.communicator,
                                                 options.batch_size, options.limit);
  return run;
}

}  // namespace scorch::launch
