#include "models/mlp_score_model.h"

#include "common/user_error.h"
#include "models/sde.h"

#include <torch/nn/modules/container/functional.h>
#include <torch/nn/modules/linear.h>

namespace scorch::models {

MlpScoreModel::MlpScoreModel(std::vector<std::int64_t> input_shape, const std::vector<std::int64_t>& hidden,
                             Activation activation, std::shared_ptr<const Sde> sde)
    : MlpScoreModel(std::move(input_shape), hidden, activation, sde, sde ? Conditioning::time : Conditioning::noise_level) {}

MlpScoreModel::MlpScoreModel(std::vector<std::int64_t> input_shape, const std::vector<std::int64_t>& hidden,
                             Activation activation, std::shared_ptr<const Sde> sde, Conditioning conditioning)
    : ScoreModel(conditioning, sde != nullptr), input_shape_(std::move(input_shape)), sde_(std::move(sde)) {
  std::int64_t dimension = 1;
  for (std::int64_t n : input_shape_) dimension *= n;
  if (input_shape_.empty() || dimension <= 0 || hidden.empty()) {
    throw UserError("the MLP needs a non-empty input shape and at least one hidden layer");
  }
  torch::nn::Sequential network;
  std::int64_t width = dimension + 1;
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

std::string MlpScoreModel::parameterisation() const {
  switch (conditioning()) {
    case Conditioning::time: return "input (x, t); score = out / sigma_t";
    case Conditioning::noise_level: return "input (x, log sigma); score = out / sigma";
    case Conditioning::chain_time: return "input (x, tau = t/n); noise prediction = out";
  }
  return "?";
}

at::Tensor MlpScoreModel::score(const at::Tensor& x, const at::Tensor& conditioning) {
  const at::Tensor c = conditioning.to(at::kDouble).reshape({-1});
  const bool noise_level = this->conditioning() == Conditioning::noise_level;
  const at::Tensor feature = noise_level ? at::log(c) : c;
  const at::Tensor input = at::cat({x.reshape({x.size(0), -1}), feature.to(x.scalar_type()).unsqueeze(1)}, 1);
  const at::Tensor out = network_->forward(input);
  if (this->conditioning() == Conditioning::chain_time) return out.reshape(x.sizes());
  const at::Tensor std = noise_level ? c : sde_->marginal_std(c);
  return (out / std.to(x.scalar_type()).unsqueeze(1)).reshape(x.sizes());
}

}  // namespace scorch::models
