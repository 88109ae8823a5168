#include "evaluation/model_sampler.h"

#include "common/config.h"
#include "common/noise_stream.h"
#include "common/random_stream.h"
#include "common/user_error.h"
#include "data/loader_config.h"
#include "evaluation/sampler_config.h"
#include "models/model_config.h"
#include "models/score_model.h"
#include "models/sde.h"

#include <ATen/ATen.h>
#include <fmt/format.h>
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

// What a model that does not suit the sampler can use instead.
std::string model_kind_and_samplers(const SamplingModel& model) {
  if (model.chain) return "a DLPM noise predictor (objective.kind = dlpm): use --sampler dlpm or dlim";
  if (model.sde) return "time-conditioned on an SDE (objective.kind = sde): use --sampler pc or ode";
  return "conditioned on noise levels (objective.kind = ncsn): use --sampler ald";
}

void require(bool suits, SamplerKind kind, const std::string& needs, const SamplingModel& model) {
  if (!suits) {
    throw UserError(fmt::format("--sampler {} needs {}; this model is {}", to_string(kind), needs,
                                model_kind_and_samplers(model)));
  }
}

void require_sde(SamplerKind kind, const SamplingModel& model) {
  require(model.sde != nullptr, kind, "a time-conditioned SDE model (objective.kind = sde)", model);
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

SamplingModel sampling_model_from(const Config& config, models::ScoreModel& model,
                                  std::shared_ptr<const models::Sde> sde) {
  std::vector<double> levels;
  std::optional<LevyChain> chain;
  if (config.string("objective.kind") == "dlpm") {
    chain = LevyChain{config.number("noise.alpha"), config.integer("dlpm.steps"), config.boolean("noise.isotropic")};
  } else if (!sde) {
    const at::Tensor ladder = models::make_noise_levels(config).to(at::kDouble).contiguous();
    levels.assign(ladder.data_ptr<double>(), ladder.data_ptr<double>() + ladder.numel());
  }
  return {model, std::move(sde), std::move(levels), data::model_pixel_range(config), chain};
}

SamplerKind parse_sampler_kind(const std::string& name) {
  if (name == "pc") return SamplerKind::pc;
  if (name == "ode") return SamplerKind::ode;
  if (name == "ald") return SamplerKind::ald;
  if (name == "dlpm") return SamplerKind::dlpm;
  if (name == "dlim") return SamplerKind::dlim;
  throw UserError("unknown sampler '" + name + "' (expected pc, ode, ald, dlpm or dlim)");
}

std::string to_string(SamplerKind kind) {
  switch (kind) {
    case SamplerKind::pc: return "pc";
    case SamplerKind::ode: return "ode";
    case SamplerKind::ald: return "ald";
    case SamplerKind::dlpm: return "dlpm";
    case SamplerKind::dlim: return "dlim";
  }
  return "?";
}

BatchSampler make_batch_sampler(SamplerKind kind, const Config& sampling, const SamplingModel& model, std::uint64_t seed,
                                const at::TensorOptions& options) {
  const std::vector<std::int64_t> shape = model.model.input_shape();
  CountedScore score{&model.model};
  switch (kind) {
    case SamplerKind::pc: {
      require_sde(kind, model);
      const PcSettings settings = pc_settings_from(sampling);
      return [=, sde = model.sde](const std::vector<std::int64_t>& indices) {
        *score.calls = 0;
        at::Tensor x = pc_sample(*sde, score, settings, shape, seed, indices, options);
        return SampleBatch{x, per_image(static_cast<double>(*score.calls), x.size(0))};
      };
    }
    case SamplerKind::ode: {
      require_sde(kind, model);
      const OdeSettings settings = ode_settings_from(sampling);
      const double eps = sampling.number("sampler.eps");
      const bool denoise = sampling.boolean("sampler.denoise");
      if (eps >= model.sde->T()) throw UserError("sampler.eps must lie below the SDE's T");
      return [=, sde = model.sde](const std::vector<std::int64_t>& indices) {
        torch::NoGradGuard no_grad;
        const std::int64_t batch = static_cast<std::int64_t>(indices.size());
        NoiseStream noise(seed, RandomPurpose::sampler_noise, indices, shape);
        const at::Tensor prior = (noise.next() * sde->prior_std()).to(options);
        const OdeDrift drift = [&](const at::Tensor& x, const at::Tensor& t) {
          return sde->probability_flow_drift(x, t, score);
        };
        OdeSolution solution = solve_ode(drift, prior, sde->T(), eps, settings);
        at::Tensor nfe = solution.nfe.to(at::kDouble);
        if (denoise) {
          // Tweedie: E[x_0 | x_ε] = (x + σ_ε² s(x, ε)) / a_ε.
          const at::Tensor t = per_image(eps, batch);
          const at::Tensor& x = solution.x;
          solution.x = (x + models::per_example_factor(sde->marginal_variance(t), x) * score(x, t)) /
                       models::per_example_factor(sde->mean_coeff(t), x);
          nfe = nfe + 1.0;
        }
        return SampleBatch{solution.x, nfe};
      };
    }
    case SamplerKind::ald: {
      require(!model.noise_levels.empty(), kind, "a noise-level conditioned model (objective.kind = ncsn)", model);
      const AldSettings settings = ald_settings_from(sampling, model.noise_levels);
      const auto [low, high] = ald_start_interval(sampling, model.range);
      return [=](const std::vector<std::int64_t>& indices) {
        *score.calls = 0;
        // NCSN's start: uniform over the data range, one stream per image.
        const at::Tensor start = draw_per_example({seed, RandomPurpose::sampler_noise, 2}, indices, [&](at::Generator& g) {
          return at::rand(shape, g, at::kDouble) * (high - low) + low;
        });
        at::Tensor x = annealed_langevin(score, start.to(options), settings, seed, indices);
        return SampleBatch{x, per_image(static_cast<double>(*score.calls), x.size(0))};
      };
    }
    case SamplerKind::dlpm:
    case SamplerKind::dlim: {
      require(model.chain.has_value(), kind, "a noise-prediction model trained on the α-stable chain "
              "(objective.kind = dlpm)", model);
      const LevySamplerSettings settings =
          levy_settings_from(sampling, kind == SamplerKind::dlpm ? LevyReverse::dlpm : LevyReverse::dlim, *model.chain);
      return [=](const std::vector<std::int64_t>& indices) {
        *score.calls = 0;
        at::Tensor x = levy_sample(score, settings, shape, seed, indices, options);
        return SampleBatch{x, per_image(static_cast<double>(*score.calls), x.size(0))};
      };
    }
  }
  throw std::logic_error("make_batch_sampler: unhandled sampler");
}

}  // namespace scorch::evaluation
