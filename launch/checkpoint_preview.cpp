#include "launch/checkpoint_preview.h"

#include "common/communicator.h"
#include "common/config.h"
#include "common/log.h"
#include "data/image_grid.h"
#include "evaluation/sampling/model_sampler.h"
#include "evaluation/sampling/sampler_config.h"
#include "data/loader_config.h"
#include "models/module_state.h"
#include "models/score_model.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <filesystem>

namespace scorch::launch {
CheckpointPreview::CheckpointPreview(const Config& config, std::string directory, std::int64_t images, at::Device device)
    : config_(config), directory_(std::move(directory)), images_(images), device_(device),
      bundle_(models::make_model_bundle(config)),
      range_(data::model_pixel_range(config, bundle_.process.centered_data())) {
  bundle_.model->to(device_);
  bundle_.model->eval();
}

void CheckpointPreview::operator()(std::int64_t step, const std::map<std::string, at::Tensor>& ema_weights) const {
  if (bundle_.model->input_shape().size() != 3) return;  // vectors (2-D toys) have no picture
  try {
    models::load_parameters(*bundle_.model, ema_weights, "the EMA weights");
    Config sampling = Config::defaults(evaluation::sampler_schema());
    sampling.set("sampler.ode.rtol=1e-3");
    sampling.set("sampler.ode.atol=1e-3");
    sampling.set("sampler.dlpm.steps=100");
    const evaluation::SamplingModel subject{*bundle_.model, bundle_.process, range_, config_.number("objective.eps")};
    const auto kind = bundle_.process.alpha_stable_chain() ? evaluation::SamplerKind::dlim
                      : bundle_.process.sde()              ? evaluation::SamplerKind::ode
                                                           : evaluation::SamplerKind::ald;
    const evaluation::PreparedSampler sampler = evaluation::make_batch_sampler(
        kind, sampling, subject,
        {static_cast<std::uint64_t>(config_.integer("seed")), at::TensorOptions().dtype(at::kFloat).device(device_), {}});
    LocalCommunicator alone;
    const evaluation::GeneratedSamples generated =
        evaluation::generate_samples(sampler.draw, images_, images_, bundle_.model->input_shape(), alone, "preview");
    std::filesystem::create_directories(directory_);
    const std::string path = fmt::format("{}/step_{:08d}.png", directory_, step);
    data::write_image_grid(path, data::range_to_pixels(generated.samples, subject.range));
    log::info("step {}: preview {} ({} NFE per image)", step, path, generated.mean_function_evaluations);
  } catch (const std::exception& e) {
    log::warn("step {}: no preview grid: {}", step, e.what());
  }
}

}  // namespace scorch::launch
