#pragma once
// Exponential moving average of the model weights. The decay is either a fixed
// rate, optionally warmed up as min(rate, (1 + n)/(10 + n)) after n updates
// (score_sde), or derived from a half-life in training images, 0.5^(B / h)
// for global batch B (EDM). The update counter n is part of the checkpoint.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <map>
#include <string>

namespace torch::nn {
class Module;
}

namespace scorch::trainer {

struct EmaSettings {
  double rate = 0.9999;
  bool warmup = true;
  double halflife_images = 0.0;  // > 0 replaces rate
};

class Ema {
 public:
  // Starts as a copy of every model parameter (trainable or not).
  Ema(const torch::nn::Module& model, EmaSettings settings);

  // The decay the next update will use, for a global batch of this size.
  double next_decay(std::int64_t global_batch) const;
  void update(const torch::nn::Module& model, std::int64_t global_batch);

  const std::map<std::string, at::Tensor>& weights() const { return shadow_; }
  std::int64_t updates() const { return updates_; }
  // Restores weights (all names must be present with the right shapes) and the counter.
  void load(const std::map<std::string, at::Tensor>& weights, std::int64_t updates);

 private:
  EmaSettings settings_;
  std::map<std::string, at::Tensor> shadow_;
  std::int64_t updates_ = 0;
};

}  // namespace scorch::trainer
