#include "evaluation/sampling/model_sampler.h"

#include "common/config.h"
#include "common/noise_stream.h"
#include "common/random_stream.h"
#include "common/user_error.h"
#include "evaluation/sampling/prior_latents.h"
#include "evaluation/sampling/sampler_config.h"
#include "models/diffusion_process.h"
#include "models/noise_family.h"
#include "models/score_model.h"
#include "models/sde.h"

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

#include <utility>

namespace scorch::evaluation {
namespace {

using Settings = std::vector<std::pair<std::string, std::string>>;

// The model as a score function that counts its calls, at the sampling
// precision; conditioning moves to x's device. The precision is set per call,
// so that the same model evaluated elsewhere (likelihoods) keeps its own.
struct CountedScore {
  models::ScoreModel* model;
  Precision precision = Precision::fp32;
  std::shared_ptr<std::int64_t> calls = std::make_shared<std::int64_t>(0);
  at::Tensor operator()(const at::Tensor& x, const at::Tensor& conditioning) const {
    ++*calls;
    const models::PrecisionScope scope(*model, precision);
    return model->score(x, conditioning.to(x.device()));
  }
};

at::Tensor per_image(double value, std::int64_t batch) { return at::full({batch}, value, at::kDouble); }

std::string text(double value) { return fmt::format("{}", value); }
std::string text(std::int64_t value) { return std::to_string(value); }
std::string text(bool value) { return value ? "true" : "false"; }

// What the model is, for the message that refuses a sampler.
std::string model_kind(const models::DiffusionProcess& process) {
  if (process.alpha_stable_chain()) return "a DLPM noise predictor (objective.kind = dlpm)";
  if (process.sde()) return "time-conditioned on an SDE (objective.kind = sde)";
  return "conditioned on noise levels (objective.kind = ncsn)";
}

void require_suitable(SamplerKind kind, const SamplingModel& model, const SamplerRun& run) {
  const SamplerEntry& sampler = sampler_entry(kind);
  if (!sampler.suits(model.process)) {
    throw UserError(fmt::format("--sampler {} needs {}; this model is {}: use --sampler {}", sampler.name,
                                sampler.needs, model_kind(model.process),
                                fmt::join(samplers_for(model.process), " or ")));
  }
  if (run.latents && !sampler.starts_from_prior) {
    std::vector<std::string> from_prior;
    for (const SamplerEntry& entry : sampler_table()) {
      if (entry.starts_from_prior) from_prior.emplace_back(entry.name);
    }
    throw UserError(fmt::format("--latents gives the SDE prior sample x_T; --sampler {} does not start from it "
                                "(samplers that do: {})",
                                sampler.name, fmt::join(from_prior, ", ")));
  }
}

// Where an SDE sampler starts: the given latents, or each image's prior draw.
at::Tensor sde_start(const models::Sde& sde, const std::vector<std::int64_t>& shape, const SamplerRun& run,
                     const std::vector<std::int64_t>& indices) {
  if (!run.latents) return prior_latents(sde, shape, run.seed, indices, run.options);
  return run.latents(indices).to(run.options);
}

// An SDE sampler `draw(score, x_T, indices)` that counts its network calls.
// It holds the SDE and the network, not the SamplingModel view.
template <typename Draw>
BatchSampler counted_sde_sampler(const SamplingModel& model, const SamplerRun& run, Draw draw) {
  const CountedScore score{&model.model, model.precision};
  const std::shared_ptr<const models::Sde> sde = model.process.shared_sde();
  const std::vector<std::int64_t> shape = model.model.input_shape();
  return [=](const std::vector<std::int64_t>& indices) {
    *score.calls = 0;
    at::Tensor x = draw(score, sde_start(*sde, shape, run, indices), indices);
    return SampleBatch{x, per_image(static_cast<double>(*score.calls), x.size(0))};
  };
}

Settings eps_and_denoise(double eps, bool denoise) { return {{"eps", text(eps)}, {"denoise", text(denoise)}}; }

Settings joined(Settings first, const Settings& second) {
  first.insert(first.end(), second.begin(), second.end());
  return first;
}

// sampler.ald.start, or the data range ([0, 1] or [−1, 1]) when it is empty.
std::pair<double, double> ald_start_interval(const Config& sampling, data::PixelRange range) {
  const NumberArray start = sampling.number_list("sampler.ald.start");
  if (start.values.empty()) return {range == data::PixelRange::unit ? 0.0 : -1.0, 1.0};
  if (start.values.size() != 2 || !(start.values[0] < start.values[1])) {
    throw UserError("sampler.ald.start must be [low, high] with low < high");
  }
  return {start.values[0], start.values[1]};
}

}  // namespace

PreparedSampler pc_batch_sampler(const Config& sampling, const SamplingModel& model, const SamplerRun& run) {
  const auto sde = model.process.shared_sde();
  const PcSettings settings = pc_settings_from(sampling, *sde, model.trained_eps);
  check_pc_settings(*sde, settings);  // on every rank, before any waits in the gather
  Settings used = {{"predictor", to_string(settings.predictor)},
                   {"corrector", to_string(settings.corrector)},
                   {"steps", text(settings.steps)}};
  if (settings.corrector != Corrector::none) {
    used.emplace_back("corrector_steps", text(settings.corrector_steps));
    used.emplace_back("snr", text(settings.snr));
  }
  const std::uint64_t seed = run.seed;
  return {counted_sde_sampler(model, run,
                              [=](const CountedScore& score, const at::Tensor& x_T, const std::vector<std::int64_t>& indices) {
                                return pc_sample(*sde, score, settings, x_T, seed, indices);
                              }),
          joined(used, eps_and_denoise(settings.eps, settings.denoise))};
}

PreparedSampler ode_batch_sampler(const Config& sampling, const SamplingModel& model, const SamplerRun& run) {
  const auto sde = model.process.shared_sde();
  const OdeSamplerSettings settings = ode_sampler_settings_from(sampling, *sde, model.trained_eps);
  Settings used = {{"method", to_string(settings.ode.method)}};
  if (settings.ode.method == OdeMethod::rk45) {
    used.emplace_back("rtol", text(settings.ode.rtol));
    used.emplace_back("atol", text(settings.ode.atol));
  } else {
    used.emplace_back("steps", text(settings.ode.steps));
  }
  const CountedScore score{&model.model, model.precision};
  const std::vector<std::int64_t> shape = model.model.input_shape();
  BatchSampler draw = [=](const std::vector<std::int64_t>& indices) {
    // The NFE is the solver's own count per image: adaptive steps differ per image.
    const OdeSamples samples = ode_sample(*sde, score, settings, sde_start(*sde, shape, run, indices));
    return SampleBatch{samples.x, samples.nfe};
  };
  return {draw, joined(used, eps_and_denoise(settings.eps, settings.denoise))};
}

namespace {

PreparedSampler edm_batch_sampler(const Config& sampling, const SamplingModel& model, const SamplerRun& run,
                                  bool stochastic) {
  const auto sde = model.process.shared_sde();
  const EdmSettings settings = edm_settings_from(sampling, *sde, model.trained_eps, stochastic);
  edm_noise_ratio_grid(*sde, settings);  // checks the settings on every rank before sampling
  Settings used = {{"steps", text(settings.steps)},
                   {"rho", text(settings.rho)},
                   {"eps", text(settings.eps)},
                   {"denoise", text(settings.denoise)}};
  if (stochastic) {
    used.emplace_back("churn", text(settings.churn));
    used.emplace_back("s_min", text(settings.s_min));
    used.emplace_back("s_max", text(settings.s_max));
    used.emplace_back("s_noise", text(settings.s_noise));
  }
  const std::uint64_t seed = run.seed;
  return {counted_sde_sampler(model, run,
                              [=](const CountedScore& score, const at::Tensor& x_T, const std::vector<std::int64_t>& indices) {
                                return edm_sample(*sde, score, settings, x_T, seed, indices);
                              }),
          used};
}

}  // namespace

PreparedSampler edm_heun_batch_sampler(const Config& sampling, const SamplingModel& model, const SamplerRun& run) {
  return edm_batch_sampler(sampling, model, run, false);
}

PreparedSampler edm_stochastic_batch_sampler(const Config& sampling, const SamplingModel& model, const SamplerRun& run) {
  return edm_batch_sampler(sampling, model, run, true);
}

PreparedSampler dpm_solver_batch_sampler(const Config& sampling, const SamplingModel& model, const SamplerRun& run) {
  const auto sde = model.process.shared_sde();
  const DpmSolverSettings settings = dpm_solver_settings_from(sampling, *sde, model.trained_eps);
  dpm_solver_time_grid(*sde, settings);  // checks the settings on every rank before sampling
  return {counted_sde_sampler(model, run,
                              [=](const CountedScore& score, const at::Tensor& x_T, const std::vector<std::int64_t>&) {
                                return dpm_solver_sample(*sde, score, settings, x_T);
                              }),
          joined({{"steps", text(settings.steps)}}, eps_and_denoise(settings.eps, settings.denoise))};
}

PreparedSampler ddim_batch_sampler(const Config& sampling, const SamplingModel& model, const SamplerRun& run) {
  const auto sde = model.process.shared_sde();
  const DdimSettings settings = ddim_settings_from(sampling, *sde, model.trained_eps);
  const std::uint64_t seed = run.seed;
  return {counted_sde_sampler(model, run,
                              [=](const CountedScore& score, const at::Tensor& x_T, const std::vector<std::int64_t>& indices) {
                                return ddim_sample(*sde, score, settings, x_T, seed, indices);
                              }),
          joined({{"steps", text(settings.steps)}, {"eta", text(settings.eta)}},
                 eps_and_denoise(settings.eps, settings.denoise))};
}

PreparedSampler ald_batch_sampler(const Config& sampling, const SamplingModel& model, const SamplerRun& run) {
  const std::vector<std::int64_t> shape = model.model.input_shape();
  const CountedScore score{&model.model, model.precision};
  AldSettings settings = ald_settings_from(sampling, model.process.noise_level_values());
  // Tweedie's step needs Gaussian noise; N(0, c² I) standard noise scales it by c².
  const std::shared_ptr<const models::NoiseFamily>& family = model.process.noise_family();
  const std::optional<double> gaussian_std = family->gaussian_std();
  std::string denoise = text(settings.denoise);
  if (gaussian_std) {
    settings.denoise_noise_std = *gaussian_std;
  } else if (settings.denoise) {
    if (sampling.is_explicit("sampler.denoise")) {
      throw UserError(fmt::format("sampler.denoise: Tweedie's denoising step needs Gaussian noise, and this model's "
                                  "is {}; set sampler.denoise=false",
                                  family->name()));
    }
    settings.denoise = false;
    denoise = fmt::format("false (no Tweedie step for {} noise)", family->name());
  }
  const auto [low, high] = ald_start_interval(sampling, model.range);
  const std::uint64_t seed = run.seed;
  const at::TensorOptions options = run.options;
  BatchSampler draw = [=, low = low, high = high](const std::vector<std::int64_t>& indices) {
    *score.calls = 0;
    // NCSN's start: uniform over the data range, one stream per image.
    const at::Tensor start = draw_per_example({seed, RandomPurpose::sampler_noise, 2}, indices, [&](at::Generator& g) {
      return at::rand(shape, g, at::kDouble) * (high - low) + low;
    });
    at::Tensor x = annealed_langevin(score, start.to(options), settings, seed, indices);
    return SampleBatch{x, per_image(static_cast<double>(*score.calls), x.size(0))};
  };
  return {draw,
          {{"levels", text(static_cast<std::int64_t>(settings.sigmas.size()))},
           {"steps_per_level", text(settings.steps_per_level)},
           {"epsilon", text(settings.epsilon)},
           {"noise_shape", text(settings.langevin_noise_shape)},
           {"step", to_string(settings.step)},
           {"noise_scale", to_string(settings.noise_scale)},
           {"start", fmt::format("[{}, {}]", low, high)},
           {"denoise", denoise}}};
}

namespace {

PreparedSampler levy_batch_sampler(LevyReverse reverse, const Config& sampling, const SamplingModel& model,
                                   const SamplerRun& run) {
  const std::vector<std::int64_t> shape = model.model.input_shape();
  const CountedScore score{&model.model, model.precision};
  const LevySamplerSettings settings = levy_settings_from(sampling, reverse, *model.process.alpha_stable_chain());
  const std::uint64_t seed = run.seed;
  const at::TensorOptions options = run.options;
  BatchSampler draw = [=](const std::vector<std::int64_t>& indices) {
    *score.calls = 0;
    at::Tensor x = levy_sample(score, settings, shape, seed, indices, options);
    return SampleBatch{x, per_image(static_cast<double>(*score.calls), x.size(0))};
  };
  return {draw,
          {{"alpha", text(settings.chain.alpha)},
           {"steps", text(settings.chain.steps)},
           {"clamp_a", text(settings.clamp_a)},
           {"clamp_eps", text(settings.clamp_eps)},
           {"clamp_samples", text(settings.clamp_samples)}}};
}

}  // namespace

PreparedSampler dlpm_batch_sampler(const Config& sampling, const SamplingModel& model, const SamplerRun& run) {
  return levy_batch_sampler(LevyReverse::dlpm, sampling, model, run);
}

PreparedSampler dlim_batch_sampler(const Config& sampling, const SamplingModel& model, const SamplerRun& run) {
  return levy_batch_sampler(LevyReverse::dlim, sampling, model, run);
}

PreparedSampler make_batch_sampler(SamplerKind kind, const Config& sampling, const SamplingModel& model,
                                   const SamplerRun& run) {
  require_suitable(kind, model, run);
  SamplingModel at_precision = model;
  at_precision.precision = sampler_precision_from(sampling);
  PreparedSampler prepared = sampler_entry(kind).make(sampling, at_precision, run);
  // Named only when it is not the default, so that the settings (and the report units keyed by them) of
  // fp32 runs stay what they were.
  if (at_precision.precision != Precision::fp32) {
    prepared.settings.emplace_back("precision", to_string(at_precision.precision));
  }
  return prepared;
}

}  // namespace scorch::evaluation
