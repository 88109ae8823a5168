#include "evaluation/sampling/model_sampler.h"

#include "common/config.h"
#include "common/noise_stream.h"
#include "common/random_stream.h"
#include "common/user_error.h"
#include "evaluation/sampling/sampler_config.h"
#include "models/diffusion_process.h"
#include "models/score_model.h"
#include "models/sde.h"

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

#include <utility>

namespace scorch::evaluation {
namespace {

// The model as a score function that counts its calls; conditioning moves to x's device.
struct CountedScore {
  models::ScoreModel* model;
  std::shared_ptr<std::int64_t> calls = std::make_shared<std::int64_t>(0);
  at::Tensor operator()(const at::Tensor& x, const at::Tensor& conditioning) const {
    ++*calls;
    return model->score(x, conditioning.to(x.device()));
  }
};

at::Tensor per_image(double value, std::int64_t batch) { return at::full({batch}, value, at::kDouble); }

// What the model is, for the message that refuses a sampler.
std::string model_kind(const models::DiffusionProcess& process) {
  if (process.alpha_stable_chain()) return "a DLPM noise predictor (objective.kind = dlpm)";
  if (process.sde()) return "time-conditioned on an SDE (objective.kind = sde)";
  return "conditioned on noise levels (objective.kind = ncsn)";
}

void require_suitable(SamplerKind kind, const SamplingModel& model) {
  const SamplerEntry& sampler = sampler_entry(kind);
  if (sampler.suits(model.process)) return;
  throw UserError(fmt::format("--sampler {} needs {}; this model is {}: use --sampler {}", sampler.name, sampler.needs,
                              model_kind(model.process), fmt::join(samplers_for(model.process), " or ")));
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

BatchSampler pc_batch_sampler(const Config& sampling, const SamplingModel& model, std::uint64_t seed,
                              const at::TensorOptions& options) {
  const std::vector<std::int64_t> shape = model.model.input_shape();
  const CountedScore score{&model.model};
  const PcSettings settings = pc_settings_from(sampling);
  return [=, sde = model.process.shared_sde()](const std::vector<std::int64_t>& indices) {
    *score.calls = 0;
    at::Tensor x = pc_sample(*sde, score, settings, shape, seed, indices, options);
    return SampleBatch{x, per_image(static_cast<double>(*score.calls), x.size(0))};
  };
}

BatchSampler ode_batch_sampler(const Config& sampling, const SamplingModel& model, std::uint64_t seed,
                               const at::TensorOptions& options) {
  const std::vector<std::int64_t> shape = model.model.input_shape();
  const CountedScore score{&model.model};
  const OdeSamplerSettings settings = ode_sampler_settings_from(sampling);
  // Checked here as well as in ode_sample: every rank must fail before sampling,
  // or a rank without batches would wait in the gather for the others.
  if (settings.eps >= model.process.sde()->T()) throw UserError("sampler.eps must lie below the SDE's T");
  return [=, sde = model.process.shared_sde()](const std::vector<std::int64_t>& indices) {
    const OdeSamples samples = ode_sample(*sde, score, settings, shape, seed, indices, options);
    return SampleBatch{samples.x, samples.nfe};
  };
}

BatchSampler ald_batch_sampler(const Config& sampling, const SamplingModel& model, std::uint64_t seed,
                               const at::TensorOptions& options) {
  const std::vector<std::int64_t> shape = model.model.input_shape();
  const CountedScore score{&model.model};
  const AldSettings settings = ald_settings_from(sampling, model.process.noise_level_values());
  const auto [low, high] = ald_start_interval(sampling, model.range);
  return [=, low = low, high = high](const std::vector<std::int64_t>& indices) {
    *score.calls = 0;
    // NCSN's start: uniform over the data range, one stream per image.
    const at::Tensor start = draw_per_example({seed, RandomPurpose::sampler_noise, 2}, indices, [&](at::Generator& g) {
      return at::rand(shape, g, at::kDouble) * (high - low) + low;
    });
    at::Tensor x = annealed_langevin(score, start.to(options), settings, seed, indices);
    return SampleBatch{x, per_image(static_cast<double>(*score.calls), x.size(0))};
  };
}

namespace {

BatchSampler levy_batch_sampler(LevyReverse reverse, const Config& sampling, const SamplingModel& model,
                                std::uint64_t seed, const at::TensorOptions& options) {
  const std::vector<std::int64_t> shape = model.model.input_shape();
  const CountedScore score{&model.model};
  const LevySamplerSettings settings = levy_settings_from(sampling, reverse, *model.process.alpha_stable_chain());
  return [=](const std::vector<std::int64_t>& indices) {
    *score.calls = 0;
    at::Tensor x = levy_sample(score, settings, shape, seed, indices, options);
    return SampleBatch{x, per_image(static_cast<double>(*score.calls), x.size(0))};
  };
}

}  // namespace

BatchSampler dlpm_batch_sampler(const Config& sampling, const SamplingModel& model, std::uint64_t seed,
                                const at::TensorOptions& options) {
  return levy_batch_sampler(LevyReverse::dlpm, sampling, model, seed, options);
}

BatchSampler dlim_batch_sampler(const Config& sampling, const SamplingModel& model, std::uint64_t seed,
                                const at::TensorOptions& options) {
  return levy_batch_sampler(LevyReverse::dlim, sampling, model, seed, options);
}

BatchSampler make_batch_sampler(SamplerKind kind, const Config& sampling, const SamplingModel& model, std::uint64_t seed,
                                const at::TensorOptions& options) {
  require_suitable(kind, model);
  return sampler_entry(kind).make(sampling, model, seed, options);
}

}  // namespace scorch::evaluation
