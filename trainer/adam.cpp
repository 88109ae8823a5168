#include "trainer/adam.h"

#include "common/user_error.h"
#include "trainer/tensor_groups.h"

#include <ATen/ATen.h>
#include <torch/torch.h>

#include <cmath>

namespace scorch::trainer {

Adam::Adam(std::vector<std::pair<std::string, at::Tensor>> parameters, AdamSettings settings) : settings_(settings) {
  for (auto& [name, parameter] : parameters) {
    slots_.push_back({name, parameter, at::zeros_like(parameter), at::zeros_like(parameter),
                      settings_.amsgrad ? at::zeros_like(parameter) : at::Tensor()});
  }
}

void Adam::step(double lr) {
  ++steps_;
  const double bias_correction1 = 1.0 - std::pow(settings_.beta1, static_cast<double>(steps_));
  const double bias_correction2_sqrt = std::sqrt(1.0 - std::pow(settings_.beta2, static_cast<double>(steps_)));
  const double step_size = lr / bias_correction1;
  torch::NoGradGuard no_grad;
  std::vector<at::Tensor> parameters, grads, exp_avg, exp_avg_sq, max_exp_avg_sq;
  for (Slot& slot : slots_) {
    if (!slot.parameter.grad().defined()) continue;
    parameters.push_back(slot.parameter);
    grads.push_back(slot.parameter.grad());
    exp_avg.push_back(slot.exp_avg);
    exp_avg_sq.push_back(slot.exp_avg_sq);
    if (settings_.amsgrad) max_exp_avg_sq.push_back(slot.max_exp_avg_sq);
  }
  if (parameters.empty()) return;
  // Multi-tensor (_foreach) updates: a few kernels for all parameters on a GPU
  // instead of several per parameter. Each is the same elementwise operation
  // as torch.optim.Adam's per-tensor form, so the values are too.
  auto update = [&](at::TensorList p, at::TensorList g, at::TensorList m, at::TensorList v, at::TensorList v_max) {
    if (settings_.weight_decay != 0.0) at::_foreach_mul_(p, 1.0 - lr * settings_.weight_decay);
    at::_foreach_mul_(m, settings_.beta1);
    at::_foreach_add_(m, g, 1.0 - settings_.beta1);
    at::_foreach_mul_(v, settings_.beta2);
    at::_foreach_addcmul_(v, g, g, 1.0 - settings_.beta2);
    if (settings_.amsgrad) at::_foreach_maximum_(v_max, v);
    std::vector<at::Tensor> denominator = at::_foreach_sqrt(settings_.amsgrad ? v_max : v);
    at::_foreach_div_(denominator, bias_correction2_sqrt);
    at::_foreach_add_(denominator, settings_.eps);
    at::_foreach_addcdiv_(p, m, denominator, -step_size);
  };
  for_each_group(parameters, [&](std::size_t first, std::size_t count) {
    auto part = [&](const std::vector<at::Tensor>& list) {
      return list.empty() ? at::TensorList() : at::TensorList(list).slice(first, count);
    };
    update(part(parameters), part(grads), part(exp_avg), part(exp_avg_sq), part(max_exp_avg_sq));
  });
}

Adam::State Adam::state() const {
  State state;
  for (const Slot& slot : slots_) {
    state["exp_avg"].emplace(slot.name, slot.exp_avg);
    state["exp_avg_sq"].emplace(slot.name, slot.exp_avg_sq);
    if (settings_.amsgrad) state["max_exp_avg_sq"].emplace(slot.name, slot.max_exp_avg_sq);
  }
  return state;
}

void Adam::load_state(const State& state, std::int64_t steps) {
  torch::NoGradGuard no_grad;
  for (Slot& slot : slots_) {
    for (auto [kind, target] : {std::pair<std::string, at::Tensor*>{"exp_avg", &slot.exp_avg},
                                {"exp_avg_sq", &slot.exp_avg_sq}}) {
      const auto moments = state.find(kind);
      if (moments == state.end() || !moments->second.count(slot.name) ||
          moments->second.at(slot.name).sizes() != slot.parameter.sizes()) {
        throw UserError("optimizer state " + kind + " of " + slot.name + " is missing or has the wrong shape");
      }
      target->copy_(moments->second.at(slot.name));
    }
    if (!settings_.amsgrad) continue;
    const auto maxima = state.find("max_exp_avg_sq");
    if (maxima == state.end()) {
      slot.max_exp_avg_sq.copy_(slot.exp_avg_sq);
    } else if (!maxima->second.count(slot.name) || maxima->second.at(slot.name).sizes() != slot.parameter.sizes()) {
      throw UserError("optimizer state max_exp_avg_sq of " + slot.name + " is missing or has the wrong shape");
    } else {
      slot.max_exp_avg_sq.copy_(maxima->second.at(slot.name));
    }
  }
  steps_ = steps;
}

}  // namespace scorch::trainer
