#include "trainer/adam.h"

#include "common/user_error.h"

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
  for (Slot& slot : slots_) {
    const at::Tensor grad = slot.parameter.grad();
    if (!grad.defined()) continue;
    if (settings_.weight_decay != 0.0) slot.parameter.mul_(1.0 - lr * settings_.weight_decay);
    slot.exp_avg.mul_(settings_.beta1).add_(grad, 1.0 - settings_.beta1);
    slot.exp_avg_sq.mul_(settings_.beta2).addcmul_(grad, grad, 1.0 - settings_.beta2);
    at::Tensor second_moment = slot.exp_avg_sq;
    if (settings_.amsgrad) second_moment = at::maximum_out(slot.max_exp_avg_sq, slot.max_exp_avg_sq, slot.exp_avg_sq);
    const at::Tensor denominator = (second_moment.sqrt() / bias_correction2_sqrt).add_(settings_.eps);
    slot.parameter.addcdiv_(slot.exp_avg, denominator, -step_size);
  }
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
