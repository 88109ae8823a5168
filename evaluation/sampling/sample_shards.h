#pragma once
// `scorch evaluate`'s samples as fixed shards of global indices
// (common/shard_plan.h): each rank draws its unfinished shards and writes each
// as a sample file of its own, so no rank ever holds or receives all N
// samples, and a killed evaluation keeps its finished shards. Shard files are
// sample files (sample_file.h) with the root attributes first_index and
// fingerprint and the dataset /function_evaluations (float64, per sample).
#include "data/pixel_range.h"
#include "evaluation/sampling/sample_generation.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace scorch {
class Communicator;
}

namespace scorch::evaluation {

struct SampleShardSettings {
  std::string directory;
  std::int64_t count = 0;
  std::int64_t shard_size = 0;
  std::int64_t batch_size = 0;
  // Identifies everything the samples depend on; a shard written under another is redrawn.
  std::string fingerprint;
  data::PixelRange range = data::PixelRange::unit;
  data::PixelQuantization quantization = data::PixelQuantization::round;
  std::map<std::string, std::string> attributes;  // recorded in every shard
};

struct ShardedSamples {
  double mean_function_evaluations = 0.0;  // over all N samples, reused ones included
  std::int64_t shards = 0;
  std::int64_t reused = 0;  // shards finished by an earlier run
};

// Draws the unfinished shards of `settings.directory` with every rank. Collective.
ShardedSamples generate_sample_shards(const BatchSampler& sampler, const SampleShardSettings& settings,
                                      const std::vector<std::int64_t>& example_shape, Communicator& communicator,
                                      const std::string& label);

}  // namespace scorch::evaluation
