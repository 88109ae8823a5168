#pragma once
// Bits per dimension of a test set under a score model: the PF-ODE NLL and the
// DSM bound of every image, each dequantized R times with fresh uniform noise
// (docs/conventions.md §3). Images are cut into batches of fixed index ranges dealt
// round-robin to the ranks; per-image randomness is keyed by (seed, repeat,
// index), and the per-rank sums meet in one all-reduce at the end, so the
// result depends on neither the world size nor the batch size.
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
};

LikelihoodEvaluation evaluate_likelihood(const std::string& data_path, const models::Sde& sde,
                                         const models::ScoreFunction& score, data::PixelRange range,
                                         const LikelihoodEvaluationSettings& settings, Communicator& communicator,
                                         const at::Device& device);

}  // namespace scorch::evaluation
