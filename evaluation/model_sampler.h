#pragma once
// Turns a trained model and the sampler.* settings into a BatchSampler: the
// glue between checkpoints and the samplers, shared by `scorch sample` and
// the evaluation stage. It refuses samplers that do not suit the model.
#include "data/pixel_range.h"
#include "evaluation/levy_sampler.h"
#include "evaluation/sample_generation.h"

#include <c10/core/TensorOptions.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace scorch {
class Config;
}
namespace scorch::models {
class ScoreModel;
class Sde;
}  // namespace scorch::models

namespace scorch::evaluation {

enum class SamplerKind { pc, ode, ald, dlpm, dlim };
SamplerKind parse_sampler_kind(const std::string& name);
std::string to_string(SamplerKind kind);

struct SamplingModel {
  models::ScoreModel& model;
  std::shared_ptr<const models::Sde> sde;  // null for noise-level (NCSN) and DLPM models
  std::vector<double> noise_levels;        // NCSN ladder, largest first; empty otherwise
  data::PixelRange range;                  // where ALD starts (uniform over the range)
  std::optional<LevyChain> chain;          // DLPM models only
};

// The sampling view of a model built from a training config: its SDE (null for
// NCSN and DLPM objectives), σ ladder or α-stable chain, and pixel range.
SamplingModel sampling_model_from(const Config& config, models::ScoreModel& model,
                                  std::shared_ptr<const models::Sde> sde);

// `sampling` holds the sampler.* keys. Computation runs with `options` (dtype, device).
BatchSampler make_batch_sampler(SamplerKind kind, const Config& sampling, const SamplingModel& model, std::uint64_t seed,
                                const at::TensorOptions& options);

}  // namespace scorch::evaluation
