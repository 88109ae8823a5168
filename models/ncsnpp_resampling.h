#pragma once
// NCSN++ up/down-sampling modules: FIR (StyleGAN2) or naive, with or without
// a learned convolution. Names follow the score_sde reference (Conv_0 for the
// plain convolution, Conv2d_0 for the fused FIR convolution).
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace scorch::models {

struct ResamplingOptions {
  bool fir = false;
  std::vector<double> fir_kernel = {1, 3, 3, 1};
  bool with_conv = false;
};

// A 3×3 convolution fused with FIR upsampling or downsampling (parameters "weight", "bias").
class FirConv2dImpl : public torch::nn::Module {
 public:
  enum class Direction { up, down };
  FirConv2dImpl(std::int64_t in_channels, std::int64_t out_channels, Direction direction, std::vector<double> fir_kernel);
  at::Tensor forward(const at::Tensor& x);

 private:
  at::Tensor weight_, bias_;
  Direction direction_;
  std::vector<double> fir_kernel_;
};

// 2× upsampling; out_channels only matters with a convolution.
class UpsampleImpl : public torch::nn::Module {
 public:
  UpsampleImpl(std::int64_t in_channels, std::int64_t out_channels, ResamplingOptions options);
  at::Tensor forward(const at::Tensor& x);

 private:
  ResamplingOptions options_;
  torch::nn::Conv2d Conv_0_{nullptr};
  std::shared_ptr<FirConv2dImpl> Conv2d_0_;
};

// 2× downsampling; out_channels only matters with a convolution.
class DownsampleImpl : public torch::nn::Module {
 public:
  DownsampleImpl(std::int64_t in_channels, std::int64_t out_channels, ResamplingOptions options);
  at::Tensor forward(const at::Tensor& x);

 private:
  ResamplingOptions options_;
  torch::nn::Conv2d Conv_0_{nullptr};
  std::shared_ptr<FirConv2dImpl> Conv2d_0_;
};

}  // namespace scorch::models
