#include "evaluation/sampling/sampler_table.h"

#include "common/name_table.h"
#include "evaluation/sampling/model_sampler.h"
#include "models/diffusion_process.h"


namespace scorch::evaluation {
namespace {

bool on_an_sde(const models::DiffusionProcess& process) { return process.sde() != nullptr; }
bool on_noise_levels(const models::DiffusionProcess& process) { return process.has_noise_levels(); }
bool on_the_alpha_stable_chain(const models::DiffusionProcess& process) {
  return process.alpha_stable_chain().has_value();
}

}  // namespace

const std::vector<SamplerEntry>& sampler_table() {
  static const std::vector<SamplerEntry> table = {
      {SamplerKind::pc, "pc", "predictor-corrector on the reverse SDE",
       "a time-conditioned SDE model (objective.kind = sde)", on_an_sde, pc_batch_sampler},
      {SamplerKind::ode, "ode", "probability-flow ODE (adaptive RK45, Euler or Heun)",
       "a time-conditioned SDE model (objective.kind = sde)", on_an_sde, ode_batch_sampler},
      {SamplerKind::ald, "ald", "annealed Langevin dynamics over the noise levels",
       "a noise-level conditioned model (objective.kind = ncsn)", on_noise_levels, ald_batch_sampler},
      {SamplerKind::dlpm, models::kDlpmName, "the stochastic reverse α-stable chain",
       "a noise-prediction model trained on the α-stable chain (objective.kind = dlpm)", on_the_alpha_stable_chain,
       dlpm_batch_sampler},
      {SamplerKind::dlim, "dlim", "the deterministic reverse α-stable chain (η = 0)",
       "a noise-prediction model trained on the α-stable chain (objective.kind = dlpm)", on_the_alpha_stable_chain,
       dlim_batch_sampler},
  };
  return table;
}

const SamplerEntry& sampler_entry(SamplerKind kind) { return row_of(sampler_table(), kind); }

SamplerKind parse_sampler_kind(const std::string& name) { return row_named(sampler_table(), name, "sampler").value; }

std::string to_string(SamplerKind kind) { return sampler_entry(kind).name; }

std::vector<std::string> sampler_names() { return table_names(sampler_table()); }

std::vector<std::string> samplers_for(const models::DiffusionProcess& process) {
  std::vector<std::string> names;
  for (const SamplerEntry& entry : sampler_table()) {
    if (entry.suits(process)) names.emplace_back(entry.name);
  }
  return names;
}

}  // namespace scorch::evaluation
