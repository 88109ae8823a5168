#pragma once
// The two residual blocks of NCSN++/DDPM++: the DDPM block (resolution
// preserving) and the BigGAN block (which may also resample by 2). Both add a
// projection of the time embedding after the first convolution.
#include "models/activation.h"
#include "models/ncsnpp_layers.h"
#include "models/ncsnpp_resampling.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <cstdint>
#include <memory>

namespace scorch::models {

struct ResnetBlockOptions {
  Activation activation = Activation::swish;
  double dropout = 0.0;
  bool skip_rescale = true;
  double init_scale = 0.0;
  std::int64_t embedding_dim = 0;  // 0: unconditional, no Dense_0
};

class ResnetBlock : public torch::nn::Module {
 public:
  // temb [B, embedding_dim], or undefined for unconditional networks.
  virtual at::Tensor forward(const at::Tensor& x, const at::Tensor& temb) = 0;
};

// Shared first half: GroupNorm → act → (resample) → Conv_0 → + Dense_0(act(temb))
// → GroupNorm_1 → act → dropout → Conv_1, and the rescaled residual sum.
class ResnetBlockBase : public ResnetBlock {
 protected:
  ResnetBlockBase(std::int64_t in_channels, std::int64_t out_channels, const ResnetBlockOptions& options);
  at::Tensor normalize_input(const at::Tensor& x);
  at::Tensor finish(const at::Tensor& h, const at::Tensor& temb);
  at::Tensor add_residual(const at::Tensor& shortcut, const at::Tensor& h) const;
  std::int64_t in_channels_, out_channels_;
  ResnetBlockOptions options_;

 private:
  torch::nn::GroupNorm GroupNorm_0_{nullptr};
  torch::nn::Conv2d Conv_0_{nullptr};
  torch::nn::Linear Dense_0_{nullptr};
  torch::nn::GroupNorm GroupNorm_1_{nullptr};
  torch::nn::Dropout Dropout_0_{nullptr};
  torch::nn::Conv2d Conv_1_{nullptr};
};

// DDPM++ block; a NIN_0 projection on the shortcut when the width changes.
class ResnetBlockDdpmImpl final : public ResnetBlockBase {
 public:
  ResnetBlockDdpmImpl(std::int64_t in_channels, std::int64_t out_channels, const ResnetBlockOptions& options);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& temb) override;

 private:
  std::shared_ptr<NinImpl> NIN_0_;
};

// BigGAN-style block; resamples both branches when up or down is set, and a
// 1×1 Conv_2 projects the shortcut when the width or resolution changes.
class ResnetBlockBigGanImpl final : public ResnetBlockBase {
 public:
  enum class Resample { none, up, down };
  ResnetBlockBigGanImpl(std::int64_t in_channels, std::int64_t out_channels, const ResnetBlockOptions& options,
                        Resample resample, ResamplingOptions resampling);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& temb) override;

 private:
  at::Tensor resample(const at::Tensor& x) const;
  Resample resample_;
  ResamplingOptions resampling_;
  torch::nn::Conv2d Conv_2_{nullptr};
};

}  // namespace scorch::models
