#include "models/mlp_score_model.h"

#include "common/user_error.h"

#include <torch/nn/modules/container/functional.h>
#include <torch/nn/modules/linear.h>

namespace scorch::models {

MlpScoreModel::MlpScoreModel(std::vector<std::int64_t> input_shape, const std::vector<std::int64_t>& hidden,
                             Activation activation, Preconditioning preconditioning, bool reads_label)
    : ScoreNetwork(std::move(preconditioning)), input_shape_(std::move(input_shape)), reads_label_(reads_label) {
  std::int64_t dimension = 1;
  for (std::int64_t n : input_shape_) dimension *= n;
  if (input_shape_.empty() || dimension <= 0 || hidden.empty()) {
    throw UserError("the MLP needs a non-empty input shape and at least one hidden layer");
  }
  torch::nn::Sequential network;
  std::int64_t width = reads_label_ ? dimension + 1 : dimension;
  for (std::int64_t h : hidden) {
    if (h <= 0) throw UserError("MLP hidden widths must be positive");
    network->push_back(torch::nn::Linear(width, h));
    network->push_back(torch::nn::Functional([activation](const at::Tensor& x) { return activate(x, activation); }));
    width = h;
  }
  network->push_back(torch::nn::Linear(width, dimension));
  // The registered name fixes the checkpoint keys: "network.<i>.weight".
  network_ = register_module("network", network);
}

at::Tensor MlpScoreModel::forward(const at::Tensor& x, const at::Tensor& label) {
  const at::Tensor flat = x.reshape({x.size(0), -1});
  const at::Tensor input = reads_label_ ? at::cat({flat, label.to(x.scalar_type()).unsqueeze(1)}, 1) : flat;
  return network_->forward(input).reshape(x.sizes());
}

}  // namespace scorch::models
