#pragma once
// The samplers by name: the one table that `scorch sample --sampler`, the
// evaluation config's samples.sampler, --help and the error hints read. Adding
// a sampler is one row here plus its case in make_batch_sampler.
#include <string>
#include <vector>

namespace scorch::models {
class DiffusionProcess;
}

namespace scorch::evaluation {

enum class SamplerKind { pc, ode, ald, dlpm, dlim };

struct SamplerEntry {
  SamplerKind value;
  const char* name;
  const char* summary;  // one phrase, for --help
  const char* needs;    // what the model must be, for error messages
  bool (*suits)(const models::DiffusionProcess& process);
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
