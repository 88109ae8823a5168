// `scorch encode`: data to latents by the probability-flow ODE, the inverse of
// `scorch sample --sampler ode --latents` (docs/sampling.md). One process, or
// split over the ranks of `mpirun -np N`; rank 0 writes the file.
#include "common/config.h"
#include "common/log.h"
#include "common/user_error.h"
#include "data/pixel_range.h"
#include "data/tensor_archive.h"
#include "evaluation/sampling/ode_encoder.h"
#include "evaluation/sampling/sample_generation.h"
#include "evaluation/sampling/sampler_config.h"
#include "launch/checkpoint_model.h"
#include "launch/commands.h"
#include "launch/example_rows.h"
#include "launch/job_communicator.h"
#include "models/score_model.h"
#include "models/sde.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <optional>

namespace scorch::launch {
namespace {

struct EncodeOptions {
  std::string checkpoint;
  std::string data;
  std::string out;
  std::int64_t count = 0;
  std::string weights = "ema";
  std::vector<std::string> overrides;
};

// The data in the model's range: a sample file's float /samples when it has
// them (what `scorch sample --float` writes), else a dataset's uint8 /images.
at::Tensor read_data(const std::string& path, data::PixelRange range, const std::vector<std::int64_t>& input_shape) {
  const std::vector<std::string> names = data::list_group(path, "/");
  at::Tensor x;
  if (std::find(names.begin(), names.end(), "samples") != names.end()) {
    x = data::read_tensor(path, "samples").to(at::kFloat);
  } else if (std::find(names.begin(), names.end(), "images") != names.end()) {
    x = data::pixels_to_range(data::read_tensor(path, "images"), range);
  } else {
    throw UserError(path + ": no /samples (float, the model's range) or /images (uint8) dataset to encode");
  }
  require_example_rows(x, input_shape, path, "data");
  return x;
}

void run_encoding(EncodeOptions options) {
  options.checkpoint = resolve_checkpoint(options.checkpoint);
  Config sampling = Config::defaults(evaluation::sampler_schema());
  for (const std::string& assignment : options.overrides) sampling.set(assignment);
  const CheckpointModel loaded = load_checkpoint_model(options.checkpoint, options.weights);
  const evaluation::SamplingModel model = loaded.sampling();
  const models::Sde* sde = model.process.sde();
  if (!sde) throw UserError("encode needs a time-conditioned SDE model (objective.kind = sde); this one is " +
                            model.process.describe());
  const std::vector<std::int64_t> input_shape = loaded.bundle.model->input_shape();
  at::Tensor x = read_data(options.data, model.range, input_shape);
  if (options.count > 0) x = x.slice(0, 0, std::min(options.count, x.size(0)));
  const evaluation::OdeSamplerSettings settings =
      evaluation::ode_sampler_settings_from(sampling, *sde, model.trained_eps);

  const auto communicator = make_job_communicator(distributed_settings_from(loaded.config));
  models::place_model(*loaded.bundle.model, communicator->device(), compute_settings_from(sampling));
  const at::TensorOptions compute = at::TensorOptions().dtype(at::kFloat).device(communicator->device());
  models::ScoreModel* network = loaded.bundle.model.get();
  const models::ScoreFunction score = [network](const at::Tensor& y, const at::Tensor& t) {
    return network->score(y, t.to(y.device()));
  };
  const evaluation::BatchSampler encode = [&](const std::vector<std::int64_t>& indices) {
    const at::Tensor rows = x.index_select(0, at::tensor(indices, at::kLong)).to(compute);
    const evaluation::OdeSamples latents = evaluation::ode_encode(*sde, score, settings, rows);
    return evaluation::SampleBatch{latents.x, latents.nfe};
  };
  if (communicator->rank() == 0) {
    const std::string solver = settings.ode.method == evaluation::OdeMethod::rk45
                                   ? fmt::format("rk45, rtol {}, atol {}", settings.ode.rtol, settings.ode.atol)
                                   : fmt::format("{}, {} steps", to_string(settings.ode.method), settings.ode.steps);
    log::info("encoding {} examples of {} with {} (step {}) by the probability-flow ODE from t = {} to T = {} ({})",
              x.size(0), options.data, options.checkpoint, loaded.state.step, settings.eps, sde->T(), solver);
  }
  const evaluation::GeneratedSamples latents = evaluation::generate_samples(
      encode, x.size(0), sampling.integer("sampler.batch_size"), input_shape, *communicator, "encode");
  if (communicator->rank() != 0) return;
  data::TensorArchiveWriter writer(options.out);
  writer.write_tensor("latents", latents.samples);
  writer.write_text_attribute("checkpoint", options.checkpoint);
  writer.write_text_attribute("data", options.data);
  writer.write_text_attribute("eps", fmt::format("{}", settings.eps));
  writer.write_text_attribute("sampler_config", sampling.to_yaml());
  writer.commit();
  log::info("wrote {} latents to {} (mean NFE {:.1f} per example)", x.size(0), options.out,
            latents.mean_function_evaluations);
  const nlohmann::ordered_json summary = {{"out", options.out},
                                          {"count", x.size(0)},
                                          {"eps", settings.eps},
                                          {"mean_nfe", latents.mean_function_evaluations}};
  fmt::print("{}\n", summary.dump());
}

}  // namespace

void add_encode_command(CLI::App& app) {
  auto options = std::make_shared<EncodeOptions>();
  CLI::App* encode = app.add_subcommand("encode", "Map data to latents x_T by the probability-flow ODE");
  encode->add_option("--checkpoint", options->checkpoint, "checkpoint file (.h5), or a run directory (its latest)")
      ->required();
  encode->add_option("--data", options->data, "HDF5: a dataset (/images) or a sample file with /samples")->required();
  encode->add_option("--out", options->out, "output HDF5 file with dataset `latents`")->required();
  encode->add_option("-n,--count", options->count, "encode only the first N examples");
  encode->add_option("--weights", options->weights, "ema (default) or model")->check(CLI::IsMember({"ema", "model"}));
  encode->add_option("--set", options->overrides, "ODE setting, e.g. --set sampler.ode.rtol=1e-5 (repeatable)")
      ->expected(1)
      ->take_all();
  encode->callback([options] { run_encoding(*options); });
}

}  // namespace scorch::launch
