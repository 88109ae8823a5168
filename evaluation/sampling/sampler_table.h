#pragma once
// The samplers by name: the one table that `scorch sample --sampler`, the
// evaluation config's samples.sampler, --help and the error hints read. Adding
// a sampler is its file and one row here.
#include "common/config_fwd.h"
#include "evaluation/sampling/sample_generation.h"

#include <c10/core/TensorOptions.h>

#include <cstdint>
#include <functional>
#include <utility>
#include <string>
#include <vector>

namespace scorch::models {
class DiffusionProcess;
}

namespace scorch::evaluation {

struct SamplingModel;
enum class SamplerKind { pc, ode, edm_heun, edm_stochastic, dpmpp_2m, ddim, ald, dlpm, dlim };

// Given starts x_T for these global image indices ([B, ...model input shape],
// the prior sample in the model's own scale), or empty for each image's own
// prior draw. Its source checks the shape once, on every rank, before sampling.
using LatentSource = std::function<at::Tensor(const std::vector<std::int64_t>& image_indices)>;

// What one sampling run is keyed and computed with.
struct SamplerRun {
  std::uint64_t seed = 0;
  at::TensorOptions options = at::kFloat;
  LatentSource latents;
};

// A sampler ready to draw, with the settings it runs with (defaults resolved
// for the model), for logs, sample files and reports.
struct PreparedSampler {
  BatchSampler draw;
  std::vector<std::pair<std::string, std::string>> settings;
  // "steps 18, rho 7, eps 0.001", in settings order.
  std::string describe() const;
};

struct SamplerEntry {
  SamplerKind value;
  const char* name;
  const char* summary;  // one phrase, for --help
  const char* needs;    // what the model must be, for error messages
  bool (*suits)(const models::DiffusionProcess& process);
  bool starts_from_prior;  // whether it starts from the SDE's prior, so takes latents
  // The sampler for a model it suits (evaluation/sampling/model_sampler.h).
  PreparedSampler (*make)(const Config& sampling, const SamplingModel& model, const SamplerRun& run);
};

const std::vector<SamplerEntry>& sampler_table();
const SamplerEntry& sampler_entry(SamplerKind kind);
// UserError naming the known samplers.
SamplerKind parse_sampler_kind(const std::string& name);
std::string to_string(SamplerKind kind);
std::vector<std::string> sampler_names();
// The names of the samplers that suit the process, in table order.
std::vector<std::string> samplers_for(const models::DiffusionProcess& process);

}  // namespace scorch::evaluation
