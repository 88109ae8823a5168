#include "launch/schedule_report.h"

#include "common/config.h"
#include "common/user_error.h"
#include "models/alpha_stable_schedule.h"
#include "models/diffusion_process.h"
#include "models/model_config.h"
#include "models/sde.h"
#include "trainer/time_sampler.h"
#include "trainer/weighting.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

namespace scorch::launch {
namespace {
std::vector<double> to_vector(const at::Tensor& t) {
  const at::Tensor c = t.contiguous();
  return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}

// The α-stable chain a DLPM objective trains on, at 11 indices from 0 to n − 1.
nlohmann::ordered_json levy_chain_report(const models::AlphaStableChainSpec& spec) {
  const models::AlphaStableSchedule chain(spec.alpha, spec.steps);
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (int k = 0; k <= 10; ++k) {
    const std::int64_t t = (chain.steps() - 1) * k / 10;
    rows.push_back({{"t", t},
                    {"tau", models::AlphaStableSchedule::time_of_index(t, chain.steps())},
                    {"cumulative_gamma", chain.cumulative_gamma(t)},
                    {"cumulative_sigma", chain.cumulative_sigma(t)}});
  }
  return {{"alpha", chain.alpha()}, {"steps", chain.steps()}, {"points", rows}};
}

}  // namespace

nlohmann::ordered_json schedule_report(const Config& config, std::vector<double> times, std::vector<double> quantiles) {
  const auto sde = models::make_sde(config);
  const double eps = config.number("objective.eps");
  const trainer::LikelihoodImportanceSampler proposal(*sde, eps);

  if (times.empty()) {
    for (int i = 0; i <= 10; ++i) times.push_back(eps + (sde->T() - eps) * i / 10.0);
  }
  if (quantiles.empty()) quantiles = {0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99};
  for (double t : times) {
    if (!(t > 0.0 && t <= sde->T())) throw UserError(fmt::format("--t: time {} is outside (0, T = {}]", t, sde->T()));
  }
  for (double u : quantiles) {
    if (!(u >= 0.0 && u <= 1.0)) throw UserError(fmt::format("--quantiles: {} is outside [0, 1]", u));
  }

  const at::Tensor t = at::tensor(times, at::kDouble);
  const auto mean_coeff = to_vector(sde->mean_coeff(t));
  const auto std = to_vector(sde->marginal_std(t));
  const auto g2 = to_vector(sde->diffusion_squared(t));
  const auto original = to_vector(trainer::weighting_value(*sde, trainer::Weighting::original, t));
  const auto likelihood = to_vector(trainer::weighting_value(*sde, trainer::Weighting::likelihood, t));
  const auto density = to_vector(proposal.density(t));

  nlohmann::ordered_json points = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < times.size(); ++i) {
    points.push_back({{"t", times[i]},
                      {"mean_coeff", mean_coeff[i]},
                      {"std", std[i]},
                      {"g2", g2[i]},
                      {"weight_original", original[i]},
                      {"weight_likelihood", likelihood[i]},
                      {"proposal_density", density[i]}});
  }
  const auto quantile_times = to_vector(proposal.from_uniform(at::tensor(quantiles, at::kDouble)));
  nlohmann::ordered_json quantile_rows = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < quantiles.size(); ++i) quantile_rows.push_back({{"u", quantiles[i]}, {"t", quantile_times[i]}});

  nlohmann::ordered_json report = {{"sde", sde->name()},
                                    {"eps", eps},
                                    {"T", sde->T()},
                                    {"prior_std", sde->prior_std()},
                                    {"is_normalizer", proposal.normalizer()},
                                    {"points", points},
                                    {"quantiles", quantile_rows}};
  const models::DiffusionProcess process = models::make_diffusion_process(config);
  if (process.has_noise_levels()) {
    // The multi-level objective trains on this ladder rather than on the SDE.
    report["noise_levels"] = {{"scheme", config.string("sigmas.scheme")}, {"sigmas", process.noise_level_values()}};
  }
  if (const auto& chain = process.alpha_stable_chain()) report["levy_chain"] = levy_chain_report(*chain);
  return report;
}

std::string format_schedule_table(const nlohmann::ordered_json& report) {
  std::string out = fmt::format("SDE {}  eps {:g}  T {:g}  prior std {:g}\n", report["sde"].get<std::string>(),
                                report["eps"].get<double>(), report["T"].get<double>(),
                                report["prior_std"].get<double>());
  out += fmt::format("importance-sampling normalizer Z = {:.10g}\n\n", report["is_normalizer"].get<double>());
  out += fmt::format("{:>12} {:>12} {:>12} {:>12} {:>12} {:>12} {:>12}\n", "t", "mean_coeff", "std", "g2",
                     "w_original", "w_likelihood", "proposal");
  for (const auto& p : report["points"]) {
    out += fmt::format("{:>12.6g} {:>12.6g} {:>12.6g} {:>12.6g} {:>12.6g} {:>12.6g} {:>12.6g}\n", p["t"].get<double>(),
                       p["mean_coeff"].get<double>(), p["std"].get<double>(), p["g2"].get<double>(),
                       p["weight_original"].get<double>(), p["weight_likelihood"].get<double>(),
                       p["proposal_density"].get<double>());
  }
  out += "\nimportance-sampling quantiles (u -> t)\n";
  for (const auto& q : report["quantiles"]) {
    out += fmt::format("{:>12.6g} {:>14.8g}\n", q["u"].get<double>(), q["t"].get<double>());
  }
  if (report.contains("noise_levels")) {
    const auto sigmas = report["noise_levels"]["sigmas"].get<std::vector<double>>();
    out += fmt::format("\nnoise levels (objective.kind ncsn, sigmas.scheme {}): {} levels, largest first",
                       report["noise_levels"]["scheme"].get<std::string>(), sigmas.size());
    if (sigmas.size() >= 2) out += fmt::format(", ratio {:.8g}", sigmas[0] / sigmas[1]);
    out += "\n";
    for (std::size_t i = 0; i < sigmas.size(); ++i) out += fmt::format("{:>6} {:>14.8g}\n", i + 1, sigmas[i]);
  }
  if (report.contains("levy_chain")) {
    const auto& chain = report["levy_chain"];
    out += fmt::format("\nα-stable chain (objective.kind dlpm): alpha {:g}, {} steps\n", chain["alpha"].get<double>(),
                       chain["steps"].get<std::int64_t>());
    out += fmt::format("{:>8} {:>10} {:>14} {:>14}\n", "t", "tau", "gamma_1..t", "sigma_1..t");
    for (const auto& p : chain["points"]) {
      out += fmt::format("{:>8} {:>10.4g} {:>14.8g} {:>14.8g}\n", p["t"].get<std::int64_t>(), p["tau"].get<double>(),
                         p["cumulative_gamma"].get<double>(), p["cumulative_sigma"].get<double>());
    }
  }
  return out;
}

}  // namespace scorch::launch
