#pragma once
// What `scorch stats` and `scorch is` share: a dataset file summarised by a
// feature extractor over the ranks of a job, with the same options.
#include "common/communicator.h"
#include "evaluation/features/image_features.h"
#include "launch/job_communicator.h"

#include <CLI/CLI.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace scorch::launch {

struct ImageFeatureOptions {
  std::string data, features;
  std::int64_t batch_size = 250;
  std::int64_t limit = 0;
  DistributedSettings distributed;
};

// --features, --batch-size, --limit and the distributed options (the data
// file is named by each command, as an option or a positional).
void add_image_feature_options(CLI::App& command, ImageFeatureOptions& options);

struct ImageFeatureRun {
  std::unique_ptr<Communicator> communicator;
  std::unique_ptr<evaluation::FeatureExtractor> extractor;
  evaluation::ImageFeatureSummary summary;
};

// Starts the job's communicator, loads the extractor and summarises the data file.
ImageFeatureRun summarise_with_options(const ImageFeatureOptions& options, const evaluation::FeatureRequest& request);

}  // namespace scorch::launch
