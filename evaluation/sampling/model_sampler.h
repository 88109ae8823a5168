#pragma once
// Turns a trained model and the sampler.* settings into a BatchSampler: the
// glue between checkpoints and the samplers, shared by `scorch sample` and
// the evaluation stage. It refuses samplers that do not suit the model.
#include "common/compute_settings.h"
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

// A trained model with its diffusion process, the pixel range of its data
// (where ALD starts, and how samples become pixels) and the smallest time it
// was trained on (objective.eps; SDE samplers never stop below it). The model
// and process must outlive it.
struct SamplingModel {
  models::ScoreModel& model;
  const models::DiffusionProcess& process;
  data::PixelRange range;
  double trained_eps = 0.0;
  // The network's arithmetic while sampling (sampler.precision); make_batch_sampler sets it.
  Precision precision = Precision::fp32;
};

// The samplers of the sampler table: `sampling` holds the sampler.* keys. Each
// assumes the model suits it. The sampler holds the network and the SDE (not
// the SamplingModel): the network must outlive it.
PreparedSampler pc_batch_sampler(const Config& sampling, const SamplingModel& model, const SamplerRun& run);
PreparedSampler ode_batch_sampler(const Config& sampling, const SamplingModel& model, const SamplerRun& run);
PreparedSampler edm_heun_batch_sampler(const Config& sampling, const SamplingModel& model, const SamplerRun& run);
PreparedSampler edm_stochastic_batch_sampler(const Config& sampling, const SamplingModel& model, const SamplerRun& run);
PreparedSampler dpm_solver_batch_sampler(const Config& sampling, const SamplingModel& model, const SamplerRun& run);
PreparedSampler ddim_batch_sampler(const Config& sampling, const SamplingModel& model, const SamplerRun& run);
PreparedSampler ald_batch_sampler(const Config& sampling, const SamplingModel& model, const SamplerRun& run);
PreparedSampler dlpm_batch_sampler(const Config& sampling, const SamplingModel& model, const SamplerRun& run);
PreparedSampler dlim_batch_sampler(const Config& sampling, const SamplingModel& model, const SamplerRun& run);

// The table's sampler `kind`, after refusing a model it does not suit, or
// latents for a sampler that does not start from the prior (UserErrors naming
// what would do). `sampling` holds the sampler.* keys.
PreparedSampler make_batch_sampler(SamplerKind kind, const Config& sampling, const SamplingModel& model,
                                   const SamplerRun& run);

}  // namespace scorch::evaluation
