#include "models/score_model.h"

#include <torch/torch.h>

namespace scorch::models {

std::int64_t ScoreModel::parameter_count() const {
  std::int64_t count = 0;
  for (const auto& parameter : parameters()) count += parameter.numel();
  return count;
}

ScoreNetwork::ScoreNetwork(Preconditioning preconditioning)
    : ScoreModel(preconditioning.process().conditioning()), preconditioning_(std::move(preconditioning)) {}

at::Tensor ScoreNetwork::score(const at::Tensor& x, const at::Tensor& conditioning) {
  const at::Tensor c = conditioning.to(at::kDouble).reshape({-1});
  const at::Tensor label = preconditioning_.label(c);  // float64, outside the network's precision
  const bool images = x.dim() == 4;
  at::Tensor out;
  {
    const AutocastScope autocast(x.device(), precision());
    out = forward(channels_last() && images ? x.contiguous(at::MemoryFormat::ChannelsLast) : x, label);
  }
  // Under bf16 the network's output is bf16; the score is formed in the input's precision.
  return preconditioning_.output(out.to(x.scalar_type()), c);
}

std::string ScoreNetwork::describe(const std::string& label, const std::string& output) const {
  return "label = " + label + "; " + architecture() + "; " + output;
}

std::string ScoreNetwork::parameterisation() const {
  return describe(preconditioning_.label_text(), preconditioning_.output_text());
}

void ScoreModel::set_channels_last(bool channels_last) {
  channels_last_ = channels_last;
  const auto format = channels_last ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous;
  torch::NoGradGuard no_grad;
  // set_data keeps each parameter's identity (its name, autograd leaf and hooks) and changes only its strides.
  for (at::Tensor& parameter : parameters()) {
    if (parameter.dim() == 4) parameter.set_data(parameter.data().contiguous(format));
  }
}

void place_model(ScoreModel& model, c10::Device device, const ComputeSettings& settings) {
  apply_compute_settings(settings);
  model.to(device);
  model.set_channels_last(settings.channels_last);
}

ScoreFunction ScoreModel::as_function() {
  return [this](const at::Tensor& x, const at::Tensor& conditioning) { return score(x, conditioning); };
}

}  // namespace scorch::models
