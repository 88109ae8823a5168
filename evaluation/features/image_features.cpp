#include "evaluation/features/image_features.h"

#include "common/communicator.h"
#include "common/progress.h"
#include "common/user_error.h"
#include "data/shard_files.h"
#include "common/rank_batches.h"

#include <ATen/ATen.h>
#include <fmt/format.h>


namespace scorch::evaluation {

ImageFeatureSummary summarise_image_file(const std::string& path, FeatureExtractor& extractor,
                                         const FeatureRequest& asked, Communicator& communicator,
                                         std::int64_t batch_size, std::int64_t limit) {
  FeatureRequest request = asked;
  request.features = asked.features || asked.all_features;
  if (batch_size < 1) throw UserError(fmt::format("feature batch size must be positive (got {})", batch_size));
  data::ImageSource file(path);
  const data::DatasetShape shape = file.shape();
  if (limit > shape.count) throw UserError(fmt::format("{}: asked for {} images, the file holds {}", path, limit, shape.count));
  const std::int64_t count = limit > 0 ? limit : shape.count;
  const ExtractorDimensions dimensions = probe_extractor(extractor, {shape.channels, shape.height, shape.width}, request);

  std::optional<FeatureMoments> moments;
  std::optional<InceptionScoreAccumulator> inception;
  if (request.features) moments.emplace(dimensions.features);
  if (request.log_probabilities) inception.emplace(dimensions.classes, count);
  // Each rank fills its own rows; the all-reduce below then gives every rank all of them.
  at::Tensor all_features;
  if (request.all_features) all_features = at::zeros({count, dimensions.features}, at::kFloat);

  ProgressMeter progress("features " + path, count, "images");
  for (const IndexBatch& batch : rank_batches(count, batch_size, communicator.rank(), communicator.world_size())) {
    const ExtractedFeatures out = extractor.extract(file.read_images(batch.first, batch.size), request);
    if (moments) moments->add(out.features);
    if (all_features.defined()) all_features.narrow(0, batch.first, batch.size).copy_(out.features);
    if (inception) inception->add(out.log_probabilities, batch.indices());
    // Rank 0 sees its own share; scaled, that is the job's progress.
    progress.update(std::min(count, (batch.first + batch.size) * communicator.world_size()));
  }

  ImageFeatureSummary summary;
  summary.images = count;
  if (moments) {
    moments->all_reduce(communicator);
    summary.statistics = moments->statistics(extractor.identity());
  }
  if (all_features.defined()) summary.features = summed_over_ranks(communicator, all_features);
  if (inception) {
    inception->all_reduce(communicator);
    summary.inception_score = inception->score();
  }
  return summary;
}

}  // namespace scorch::evaluation

namespace scorch::evaluation {

FeatureStatistics statistics_of(const std::string& path, FeatureExtractor* extractor, Communicator& communicator,
                                std::int64_t batch_size, std::int64_t limit) {
  if (is_feature_statistics_file(path)) {
    if (limit > 0) throw UserError(path + ": a statistics file cannot be limited to its first images");
    return read_feature_statistics(path);
  }
  if (!extractor) throw UserError(path + ": a dataset file; computing its statistics needs --features EXTRACTOR");
  return *summarise_image_file(path, *extractor, {true, false}, communicator, batch_size, limit).statistics;
}

}  // namespace scorch::evaluation
