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
  static const char* const on_sde = "a time-conditioned SDE model (objective.kind = sde)";
  static const std::vector<SamplerEntry> table = {
      {SamplerKind::pc, "pc", "predictor-corrector on the reverse SDE", on_sde, on_an_sde, true, pc_batch_sampler},
      {SamplerKind::ode, "ode", "probability-flow ODE (adaptive RK45, Euler or Heun)", on_sde, on_an_sde, true,
       ode_batch_sampler},
      {SamplerKind::edm_heun, "edm_heun", "EDM's deterministic Heun sampler on the ρ = 7 σ grid", on_sde, on_an_sde,
       true, edm_heun_batch_sampler},
      {SamplerKind::edm_stochastic, "edm_stochastic", "EDM's stochastic sampler (S_churn, S_min, S_max, S_noise)",
       on_sde, on_an_sde, true, edm_stochastic_batch_sampler},
      {SamplerKind::dpmpp_2m, "dpmpp_2m", "DPM-Solver++(2M), data prediction, uniform log-SNR grid", on_sde,
       on_an_sde, true, dpm_solver_batch_sampler},
      {SamplerKind::ddim, "ddim", "DDIM (eta 0 deterministic, eta > 0 stochastic)", on_sde, on_an_sde, true,
       ddim_batch_sampler},
      {SamplerKind::ald, "ald", "annealed Langevin dynamics over the noise levels",
       "a noise-level conditioned model (objective.kind = ncsn)", on_noise_levels, false, ald_batch_sampler},
      {SamplerKind::dlpm, models::kDlpmName, "the stochastic reverse α-stable chain",
       "a noise-prediction model trained on the α-stable chain (objective.kind = dlpm)", on_the_alpha_stable_chain,
       false, dlpm_batch_sampler},
      {SamplerKind::dlim, "dlim", "the deterministic reverse α-stable chain (η = 0)",
       "a noise-prediction model trained on the α-stable chain (objective.kind = dlpm)", on_the_alpha_stable_chain,
       false, dlim_batch_sampler},
  };
  return table;
}

std::string PreparedSampler::describe() const {
  std::string text;
  for (const auto& [key, value] : settings) text += (text.empty() ? "" : ", ") + key + " " + value;
  return text;
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
