#include "trainer/ema.h"

#include "common/user_error.h"
#include "models/module_state.h"
#include "trainer/tensor_groups.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

namespace scorch::trainer {

Ema::Ema(const torch::nn::Module& model, EmaSettings settings) : settings_(settings) {
  for (const auto& [name, parameter] : models::parameter_map(model)) shadow_.emplace(name, parameter.clone());
}

double Ema::next_decay(std::int64_t global_batch) const {
  if (settings_.halflife_images > 0.0) {
    return std::pow(0.5, static_cast<double>(global_batch) / settings_.halflife_images);
  }
  if (!settings_.warmup) return settings_.rate;
  const double n = static_cast<double>(updates_ + 1);
  return std::min(settings_.rate, (1.0 + n) / (10.0 + n));
}

void Ema::update(const torch::nn::Module& model, std::int64_t global_batch) {
  const double decay = next_decay(global_batch);
  torch::NoGradGuard no_grad;
  std::vector<at::Tensor> shadows, parameters;
  for (const auto& item : model.named_parameters()) {
    shadows.push_back(shadow_.at(item.key()));
    parameters.push_back(item.value());
  }
  // shadow ← shadow − (1 − decay)(shadow − param), the reference's form, as
  // multi-tensor operations (a few GPU kernels for all parameters).
  for_each_group(shadows, [&](std::size_t first, std::size_t count) {
    const at::TensorList shadow_part = at::TensorList(shadows).slice(first, count);
    std::vector<at::Tensor> differences = at::_foreach_sub(shadow_part, at::TensorList(parameters).slice(first, count));
    at::_foreach_mul_(differences, 1.0 - decay);
    at::_foreach_sub_(shadow_part, differences);
  });
  ++updates_;
}

void Ema::load(const std::map<std::string, at::Tensor>& weights, std::int64_t updates) {
  torch::NoGradGuard no_grad;
  for (auto& [name, shadow] : shadow_) {
    const auto found = weights.find(name);
    if (found == weights.end() || found->second.sizes() != shadow.sizes()) {
      throw UserError("EMA weight " + name + " is missing or has the wrong shape");
    }
    shadow.copy_(found->second);
  }
  updates_ = updates;
}

}  // namespace scorch::trainer
