#pragma once
// FID statistics and the Inception Score of the images in a dataset-format
// file or shard directory (real data, or samples written by `scorch sample`
// or `scorch evaluate`; data/shard_files.h),
// with the work split over the ranks of a job: batches of fixed index ranges,
// dealt round-robin, summed by all-reduce. The result is the same for any
// number of ranks and any batch size.
#include "evaluation/features/feature_extractor.h"
#include "evaluation/features/feature_statistics.h"
#include "evaluation/features/inception_score.h"

#include <cstdint>
#include <optional>
#include <string>

namespace scorch {
class Communicator;
}

namespace scorch::evaluation {

struct ImageFeatureSummary {
  std::optional<FeatureStatistics> statistics;  // when features were requested
  std::optional<InceptionScore> inception_score;  // when log-probabilities were requested
  at::Tensor features;  // float [N, D] in index order on every rank, when all_features was requested
  std::int64_t images = 0;
};

// The first `limit` images of `path` (all when limit is 0).
ImageFeatureSummary summarise_image_file(const std::string& path, FeatureExtractor& extractor,
                                         const FeatureRequest& request, Communicator& communicator,
                                         std::int64_t batch_size, std::int64_t limit = 0);

}  // namespace scorch::evaluation

namespace scorch::evaluation {

// A statistics file (.h5 from `scorch stats`, or .npz) is read as is; a dataset
// file is summarised with `extractor`, which must then be given: its first
// `limit` images (all when limit is 0; a limit on a statistics file is a UserError).
FeatureStatistics statistics_of(const std::string& path, FeatureExtractor* extractor, Communicator& communicator,
                                std::int64_t batch_size, std::int64_t limit = 0);

}  // namespace scorch::evaluation
