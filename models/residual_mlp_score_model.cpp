#include "models/residual_mlp_score_model.h"

#include "common/user_error.h"

#include <fmt/format.h>
#include <torch/nn/modules/container/functional.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/functional/activation.h>

namespace scorch::models {
namespace {

torch::nn::Functional silu() {
  return torch::nn::Functional([](const at::Tensor& x) { return at::silu(x); });
}
torch::nn::Functional identity() {
  return torch::nn::Functional([](const at::Tensor& x) { return x; });
}

// Linear then (optionally) LayerNorm. Index 0 stands where the authors'
// Dropout is (rate 0 in their 2-D config, and parameter-free), so that the
// layers keep the indices of their names: mlp_1.1 is the Linear, mlp_1.2 the norm.
torch::nn::Sequential linear_norm(std::int64_t in, std::int64_t out, bool layer_norm) {
  torch::nn::Sequential layers;
  layers->push_back(identity());
  layers->push_back(torch::nn::Linear(in, out));
  if (layer_norm) {
    layers->push_back(torch::nn::LayerNorm(torch::nn::LayerNormOptions({out})));
  } else {
    layers->push_back(identity());
  }
  return layers;
}

// One residual block, conditioned on the time embedding.
class TimeBlockImpl : public torch::nn::Module {
 public:
  TimeBlockImpl(std::int64_t units, std::int64_t embedding, const ResidualMlpOptions& options) : skip_(options.skip) {
    mlp_1_ = register_module("mlp_1", linear_norm(units, units, options.layer_norm));
    torch::nn::Sequential projection;
    projection->push_back(identity());
    projection->push_back(torch::nn::Linear(embedding, units));
    projection->push_back(silu());
    t_proj_ = register_module("t_proj", projection);
    mlp_2_ = register_module("mlp_2", linear_norm(units, units, options.layer_norm));
  }
  at::Tensor forward(const at::Tensor& h, const at::Tensor& embedding) {
    at::Tensor y = at::silu(mlp_1_->forward(h)) + t_proj_->forward(embedding);
    y = mlp_2_->forward(y);
    return at::silu(skip_ ? y + h : y);
  }

 private:
  bool skip_;
  torch::nn::Sequential mlp_1_{nullptr}, t_proj_{nullptr}, mlp_2_{nullptr};
};
TORCH_MODULE(TimeBlock);

}  // namespace

ResidualMlpScoreModel::ResidualMlpScoreModel(std::vector<std::int64_t> input_shape, ResidualMlpOptions options,
                                             Preconditioning preconditioning)
    : ScoreNetwork(std::move(preconditioning)), input_shape_(std::move(input_shape)), options_(options) {
  std::int64_t dimension = 1;
  for (std::int64_t n : input_shape_) dimension *= n;
  if (input_shape_.empty() || dimension <= 0) throw UserError("residual_mlp needs a non-empty input shape");
  if (options_.units < 1 || options_.blocks < 0 || options_.time_embedding < 1) {
    throw UserError(fmt::format("residual_mlp needs units ≥ 1, blocks ≥ 0 and time_embedding ≥ 1 (got {}, {}, {})",
                                options_.units, options_.blocks, options_.time_embedding));
  }
  const std::int64_t units = options_.units, embedding = options_.time_embedding;
  torch::nn::Sequential time_mlp;
  time_mlp->push_back(torch::nn::Linear(1, embedding));
  time_mlp->push_back(silu());
  time_mlp->push_back(torch::nn::Linear(embedding, embedding));
  time_mlp->push_back(silu());
  time_mlp_ = register_module("time_mlp", time_mlp);
  torch::nn::Sequential inblock;
  inblock->push_back(torch::nn::Linear(dimension, units));
  if (options_.layer_norm) {
    inblock->push_back(torch::nn::LayerNorm(torch::nn::LayerNormOptions({units})));
  } else {
    inblock->push_back(identity());
  }
  inblock->push_back(silu());
  inblock_ = register_module("inblock", inblock);
  torch::nn::ModuleList midblocks;
  for (std::int64_t k = 0; k < options_.blocks; ++k) midblocks->push_back(TimeBlock(units, embedding, options_));
  midblocks_ = register_module("midblocks", midblocks);
  torch::nn::ModuleList outblocks;
  outblocks->push_back(TimeBlock(units, embedding, options_));
  outblocks->push_back(torch::nn::Linear(units, dimension));
  outblocks_ = register_module("outblocks_mean", outblocks);
}

std::string ResidualMlpScoreModel::architecture() const {
  return fmt::format("input (x, label): {} residual blocks of {} units{}, learnable label embedding of size {}",
                     options_.blocks + 1, options_.units, options_.layer_norm ? " with LayerNorm" : "",
                     options_.time_embedding);
}

at::Tensor ResidualMlpScoreModel::forward(const at::Tensor& x, const at::Tensor& label) {
  const at::Tensor flat = x.reshape({x.size(0), -1});
  // The authors feed the time as float32 whatever the input's precision; we follow the input's dtype.
  const at::Tensor embedding = time_mlp_->forward(label.to(x.scalar_type()).unsqueeze(1));
  at::Tensor h = inblock_->forward(flat);
  for (const auto& block : *midblocks_) h = block->as<TimeBlockImpl>()->forward(h, embedding);
  h = outblocks_[0]->as<TimeBlockImpl>()->forward(h, embedding);
  return outblocks_[1]->as<torch::nn::LinearImpl>()->forward(h).reshape(x.sizes());
}

}  // namespace scorch::models
