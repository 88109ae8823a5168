#pragma once
// Turns a trained model and the sampler.* settings into a BatchSampler: the
// glue between checkpoints and the samplers, shared by `scorch sample` and
// the evaluation stage. It refuses samplers that do not suit the model.
#include "data/pixel_range.h"
#include "evaluation/sampling/levy_sampler.h"
#include "evaluation/sampling/sample_generation.h"
#include "evaluation/sampling/sampler_table.h"

#include <c10/core/TensorOptions.h>

#include <cstdint>
#include <string>
#include <vector>

namespace scorch {
class Config;
}
namespace scorch::models {
class DiffusionProcess;
class ScoreModel;
}  // namespace scorch::models

namespace scorch::evaluation {

// A trained model with its diffusion process and the pixel range of its data
// (where ALD starts, and how samples become pixels). Both must outlive it.
struct SamplingModel {
  models::ScoreModel& model;
  const models::DiffusionProcess& process;
  data::PixelRange range;
};

// The samplers of the sampler table: `sampling` holds the sampler.* keys, and
// computation runs with `options` (dtype, device). Each assumes the model suits it.
BatchSampler pc_batch_sampler(const Config& sampling, const SamplingModel& model, std::uint64_t seed,
                              const at::TensorOptions& options);
BatchSampler ode_batch_sampler(const Config& sampling, const SamplingModel& model, std::uint64_t seed,
                               const at::TensorOptions& options);
BatchSampler ald_batch_sampler(const Config& sampling, const SamplingModel& model, std::uint64_t seed,
                               const at::TensorOptions& options);
BatchSampler dlpm_batch_sampler(const Config& sampling, const SamplingModel& model, std::uint64_t seed,
                                const at::TensorOptions& options);
BatchSampler dlim_batch_sampler(const Config& sampling, const SamplingModel& model, std::uint64_t seed,
                                const at::TensorOptions& options);

// The table's sampler `kind`, after refusing a model it does not suit (UserError
// naming the samplers that do). `sampling` holds the sampler.* keys.
BatchSampler make_batch_sampler(SamplerKind kind, const Config& sampling, const SamplingModel& model, std::uint64_t seed,
                                const at::TensorOptions& options);

}  // namespace scorch::evaluation
