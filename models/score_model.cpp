#include "models/score_model.h"

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
  return preconditioning_.output(forward(x, preconditioning_.label(c)), c);
}

std::string ScoreNetwork::describe(const std::string& label, const std::string& output) const {
  return "label = " + label + "; " + architecture() + "; " + output;
}

std::string ScoreNetwork::parameterisation() const {
  return describe(preconditioning_.label_text(), preconditioning_.output_text());
}

ScoreFunction ScoreModel::as_function() {
  return [this](const at::Tensor& x, const at::Tensor& conditioning) { return score(x, conditioning); };
}

}  // namespace scorch::models
