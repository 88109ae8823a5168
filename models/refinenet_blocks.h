#pragma once
// The RefineNet pieces of NCSNv2 (Song & Ermon 2020): InstanceNorm++, the
// pre-activation residual block, and the refine block made of residual conv
// units (RCU), multi-resolution fusion (MSF) and chained residual pooling
// (CRP). Submodule names follow ermongroup/ncsnv2 so state dicts map 1:1.
#include "models/activation.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace scorch::models {

// Instance normalisation that keeps the channel means' relative sizes through
// a learned α (parameters alpha, gamma, beta).
class InstanceNormPlusImpl : public torch::nn::Module {
 public:
  explicit InstanceNormPlusImpl(std::int64_t channels);
  at::Tensor forward(const at::Tensor& x);

 private:
  at::Tensor alpha_, gamma_, beta_;
};

// Pre-activation residual block: norm → act → conv1 → norm → act → conv2, plus
// a shortcut. `down` halves the resolution (conv + 2×2 mean pool) unless the
// block is dilated, where, as in the reference, "down" keeps the resolution.
class RefineResidualBlockImpl : public torch::nn::Module {
 public:
  RefineResidualBlockImpl(std::int64_t in_channels, std::int64_t out_channels, bool down, std::int64_t dilation,
                          Activation activation);
  at::Tensor forward(const at::Tensor& x);

 private:
  std::shared_ptr<InstanceNormPlusImpl> normalize1_, normalize2_;
  std::shared_ptr<torch::nn::Module> conv1_, conv2_, shortcut_;
  Activation activation_;
};

// Residual conv units: n_blocks × (n_stages × (act → 3×3 conv)) + skip.
class RcuBlockImpl : public torch::nn::Module {
 public:
  RcuBlockImpl(std::int64_t channels, std::int64_t blocks, std::int64_t stages, Activation activation);
  at::Tensor forward(const at::Tensor& x);

 private:
  std::vector<std::vector<torch::nn::Conv2d>> convs_;
  Activation activation_;
};

// Fuses inputs at several resolutions: a 3×3 conv each, bilinear resize, sum.
class MsfBlockImpl : public torch::nn::Module {
 public:
  MsfBlockImpl(const std::vector<std::int64_t>& in_channels, std::int64_t channels);
  at::Tensor forward(const std::vector<at::Tensor>& xs, at::IntArrayRef size);

 private:
  torch::nn::ModuleList convs_{nullptr};
};

// Chained residual pooling: act, then stages of 5×5 max-pool → conv added back.
class CrpBlockImpl : public torch::nn::Module {
 public:
  CrpBlockImpl(std::int64_t channels, std::int64_t stages, Activation activation);
  at::Tensor forward(const at::Tensor& x);

 private:
  torch::nn::ModuleList convs_{nullptr};
  Activation activation_;
};

class RefineBlockImpl : public torch::nn::Module {
 public:
  RefineBlockImpl(const std::vector<std::int64_t>& in_channels, std::int64_t channels, Activation activation,
                  bool start, bool end);
  at::Tensor forward(const std::vector<at::Tensor>& xs, at::IntArrayRef size);

 private:
  torch::nn::ModuleList adapt_convs_{nullptr};
  std::shared_ptr<RcuBlockImpl> output_convs_;
  std::shared_ptr<MsfBlockImpl> msf_;
  std::shared_ptr<CrpBlockImpl> crp_;
};

}  // namespace scorch::models
