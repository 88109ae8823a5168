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

enum class ResampleDirection { up, down };

// 2× resampling without learned weights: FIR filtering, or nearest-neighbour
// repetition up and 2×2 box averaging down.
at::Tensor resample_without_conv(const at::Tensor& x, ResampleDirection direction, const ResamplingOptions& options);

// A 3×3 convolution fused with FIR upsampling or downsampling (parameters "weight", "bias").
class FirConv2dImpl : public torch::nn::Module {
 public:
  FirConv2dImpl(std::int64_t in_channels, std::int64_t out_channels, ResampleDirection direction,
                std::vector<double> fir_kernel);
  at::Tensor forward(const at::Tensor& x);

 private:
  at::Tensor weight_, bias_;
  ResampleDirection direction_;
  std::vector<double> fir_kernel_;
};

// 2× up- or downsampling (the reference's Upsample and Downsample);
// out_channels only matters with a convolution.
class ResampleImpl : public torch::nn::Module {
 public:
  ResampleImpl(std::int64_t in_channels, std::int64_t out_channels, ResampleDirection direction,
               ResamplingOptions options);
  at::Tensor forward(const at::Tensor& x);

 private:
  ResampleDirection direction_;
  ResamplingOptions options_;
  torch::nn::Conv2d Conv_0_{nullptr};
  std::shared_ptr<FirConv2dImpl> Conv2d_0_;
};

}  // namespace scorch::models
