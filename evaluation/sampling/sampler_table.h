#pragma once
// The samplers by name: the one table that `scorch sample --sampler`, the
// evaluation config's samples.sampler, --help and the error hints read. Adding
// a sampler is its file and one row here.
#include "common/config_fwd.h"
#include "evaluation/sampling/sample_generation.h"

#include <c10/core/TensorOptions.h>

#include <cstdint>
#include <string>
#include <vector>

namespace scorch::models {
class DiffusionProcess;
}

namespace scorch::evaluation {

struct SamplingModel;
enum class SamplerKind { pc, ode, ald, dlpm, dlim };

struct SamplerEntry {
  SamplerKind value;
  const char* name;
  const char* summary;  // one phrase, for --help
  const char* needs;    // what the model must be, for error messages
  bool (*suits)(const models::DiffusionProcess& process);
  // The sampler for a model it suits (evaluation/sampling/model_sampler.h).
  BatchSampler (*make)(const Config& sampling, const SamplingModel& model, std::uint64_t seed,
                       const at::TensorOptions& options);
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
