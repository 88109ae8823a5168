#pragma once
// Bits per dimension of a test set under a score model: the PF-ODE NLL and the
// DSM bound of every image, each dequantized R times with fresh uniform noise
// (docs/conventions.md §3). Images are cut into shards of fixed index ranges
// (common/shard_plan.h) dealt round-robin to the ranks, and each shard into
// batches; per-image randomness is keyed by (seed, repeat, index). The
// per-image results (N scalars per metric) meet in one all-reduce and are
// summarised in index order, so the result depends on neither the world size,
// nor the batch size, nor where an earlier run was cut. With a shard
// directory, each finished shard is kept on disk (a TensorArchive with
// /nll_bpd, /bound_bpd, /function_evaluations, float64 per image) and a rerun
// reuses it.
#include "data/pixel_range.h"
#include "evaluation/likelihood/dsm_bound.h"
#include "evaluation/likelihood/ode_likelihood.h"
#include "models/score_function.h"

#include <c10/core/Device.h>

#include <cstdint>
#include <optional>
#include <string>

namespace scorch {
class Communicator;
}
namespace scorch::models {
class Sde;
}

namespace scorch::evaluation {

struct LikelihoodEvaluationSettings {
  std::int64_t count = 0;  // the first `count` images; 0 for all
  std::int64_t repeats = 1;
  std::int64_t batch_size = 64;
  bool nll = true;
  bool bound = false;
  LikelihoodSettings ode;
  DsmBoundSettings dsm;
  std::uint64_t seed = 0;
  std::string shard_directory;  // empty: shards live in memory only
  std::int64_t shard_size = 100;  // images per shard
  std::string fingerprint;  // what a shard's values depend on; others are redone
};

// The mean over images of each image's bits/dim (averaged over repeats), with
// the half-width of its normal 95% interval over images.
struct BitsPerDimSummary {
  double mean = 0.0;
  double ci95 = 0.0;
};

struct LikelihoodEvaluation {
  std::optional<BitsPerDimSummary> nll;
  std::optional<BitsPerDimSummary> bound;
  double mean_function_evaluations = 0.0;  // ODE drift evaluations per solve
  std::int64_t images = 0;
  std::int64_t shards = 0;
  std::int64_t reused = 0;  // shards finished by an earlier run
};

LikelihoodEvaluation evaluate_likelihood(const std::string& data_path, const models::Sde& sde,
                                         const models::ScoreFunction& score, data::PixelRange range,
                                         const LikelihoodEvaluationSettings& settings, Communicator& communicator,
                                         const at::Device& device);

}  // namespace scorch::evaluation
