// `scorch sample`: N samples from a checkpoint's EMA (or raw) weights, as one
// process or split over the ranks of `mpirun -np N`; rank 0 writes the file.
#include "common/config.h"
#include "common/log.h"
#include "common/user_error.h"
#include "data/tensor_archive.h"
#include "evaluation/sampling/model_sampler.h"
#include "evaluation/sampling/sample_file.h"
#include "evaluation/sampling/sampler_config.h"
#include "launch/checkpoint_model.h"
#include "launch/commands.h"
#include "launch/example_rows.h"
#include "launch/job_communicator.h"
#include "models/score_model.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <optional>

namespace scorch::launch {
namespace {

struct SampleOptions {
  std::string checkpoint;
  std::string sampler;
  std::optional<std::int64_t> count;
  std::string latents;
  std::string out;
  std::string grid;
  std::int64_t grid_count = 64;
  std::optional<std::int64_t> seed;
  std::string weights = "ema";
  bool with_float = false;
  std::string quantize = data::to_string(data::PixelQuantization::round);
  std::vector<std::string> overrides;
};

// The latents file's `latents` dataset, float32 [N, ...model input shape], whole
// on every rank (a rank reads only its own rows from it).
at::Tensor read_latents(const std::string& path, const std::vector<std::int64_t>& input_shape) {
  at::Tensor latents = data::read_tensor(path, "latents");
  require_example_rows(latents, input_shape, path, "latents");
  return latents.to(at::kFloat);
}

void run_sampling(SampleOptions options) {
  options.checkpoint = resolve_checkpoint(options.checkpoint);
  const auto started = std::chrono::steady_clock::now();
  const evaluation::SamplerKind kind = evaluation::parse_sampler_kind(options.sampler);
  Config sampling = Config::defaults(evaluation::sampler_schema());
  for (const std::string& assignment : options.overrides) sampling.set(assignment);

  const CheckpointModel loaded = load_checkpoint_model(options.checkpoint, options.weights);
  const Config& config = loaded.config;
  const std::vector<std::int64_t> input_shape = loaded.bundle.model->input_shape();
  at::Tensor latents;
  if (!options.latents.empty()) {
    latents = read_latents(options.latents, input_shape);
    if (!options.count) options.count = latents.size(0);
    if (*options.count != latents.size(0)) {
      throw UserError(fmt::format("-n {} differs from the {} latents in {}", *options.count, latents.size(0),
                                  options.latents));
    }
  }
  if (!options.count) throw UserError("give -n N, the number of samples (or --latents FILE)");
  const std::int64_t count = *options.count;
  if (count < 1) throw UserError(fmt::format("-n: the number of samples must be positive (got {})", count));
  const auto communicator = make_job_communicator(distributed_settings_from(config));
  models::place_model(*loaded.bundle.model, communicator->device(), compute_settings_from(sampling));

  const evaluation::SamplingModel sampling_model = loaded.sampling();
  const data::PixelRange range = sampling_model.range;
  const std::uint64_t seed = static_cast<std::uint64_t>(options.seed.value_or(config.integer("seed")));
  const at::TensorOptions compute = at::TensorOptions().dtype(at::kFloat).device(communicator->device());
  evaluation::LatentSource from_latents;
  if (latents.defined()) {
    from_latents = [latents](const std::vector<std::int64_t>& indices) {
      return latents.index_select(0, at::tensor(indices, at::kLong));
    };
  }
  const evaluation::PreparedSampler sampler =
      evaluation::make_batch_sampler(kind, sampling, sampling_model, {seed, compute, from_latents});
  if (communicator->rank() == 0) {
    log::info("sampling {} images from {} (step {}, {} weights) with {} on {} rank(s), seed {}{}", count,
              options.checkpoint, loaded.state.step, options.weights, options.sampler, communicator->world_size(),
              seed, latents.defined() ? ", from the latents in " + options.latents : "");
    log::info("sampler {}: {}", options.sampler, sampler.describe());
  }
  const evaluation::GeneratedSamples generated =
      evaluation::generate_samples(sampler.draw, count, sampling.integer("sampler.batch_size"), input_shape,
                                   *communicator, "sample " + options.sampler);
  if (communicator->rank() != 0) return;

  nlohmann::ordered_json used = nlohmann::ordered_json::object();
  for (const auto& [key, value] : sampler.settings) used[key] = value;
  const std::map<std::string, std::string> attributes = {
      {"checkpoint", options.checkpoint},
      {"checkpoint_step", std::to_string(loaded.state.step)},
      {"weights", options.weights},
      {"sampler", options.sampler},
      {"seed", std::to_string(seed)},
      {"sampler_config", sampling.to_yaml()},
      {"sampler_settings", used.dump()},
      {"latents", options.latents},
      {"model_config", loaded.state.config_yaml},
      {"mean_function_evaluations", fmt::format("{}", generated.mean_function_evaluations)}};
  evaluation::write_sample_file(options.out, generated.samples, range, options.with_float, attributes,
                                data::parse_pixel_quantization(options.quantize));
  if (!options.grid.empty()) {
    evaluation::write_sample_grid(options.grid, generated.samples, range, options.grid_count);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  log::info("wrote {} samples to {} (mean NFE {:.1f} per image, {:.1f} s)", count, options.out,
            generated.mean_function_evaluations, seconds);
  const nlohmann::ordered_json summary = {{"out", options.out},
                                          {"count", count},
                                          {"sampler", options.sampler},
                                          {"settings", used},
                                          {"seed", seed},
                                          {"mean_nfe", generated.mean_function_evaluations},
                                          {"seconds", seconds}};
  fmt::print("{}\n", summary.dump());
}

}  // namespace

void add_sample_command(CLI::App& app) {
  auto options = std::make_shared<SampleOptions>();
  CLI::App* sample = app.add_subcommand("sample", "Draw samples from a checkpoint (one process, or split over mpirun ranks)");
  sample->add_option("--checkpoint", options->checkpoint, "checkpoint file (.h5), or a run directory (its latest)")->required();
  sample->add_option("--sampler", options->sampler, fmt::format("{}", fmt::join(evaluation::sampler_names(), " | ")))
      ->required();
  sample->add_option("-n,--count", options->count, "number of samples (default with --latents: one per latent)");
  sample->add_option("--latents", options->latents,
                     "start from these prior samples x_T: HDF5 dataset `latents`, float32 [N, ...] (SDE samplers)");
  sample->add_option("--out", options->out, "output HDF5 file (dataset format for images)")->required();
  sample->add_option("--grid", options->grid, "also write a PNG grid of the first samples");
  sample->add_option("--grid-count", options->grid_count, "images in the grid (default 64)");
  sample->add_option("--seed", options->seed, "root of the sampler noise (default: the checkpoint's seed)");
  sample->add_option("--weights", options->weights, "ema (default) or model")->check(CLI::IsMember({"ema", "model"}));
  sample->add_option("--quantize", options->quantize,
                     fmt::format("how images become uint8: {} (default {}; EDM rounds, score_sde truncates)",
                                 fmt::join(table_names(data::pixel_quantization_table()), " | "),
                                 options->quantize))
      ->check(CLI::IsMember(table_names(data::pixel_quantization_table())));
  sample->add_flag("--float", options->with_float, "also store float32 samples (/samples) in the model's range");
  sample->add_option("--set", options->overrides, "sampler setting, e.g. --set sampler.pc.steps=500 (repeatable)")
      ->expected(1)
      ->take_all();
  sample->callback([options] { run_sampling(*options); });
}

}  // namespace scorch::launch
