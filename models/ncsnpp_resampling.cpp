#include "models/ncsnpp_resampling.h"

#include "models/ddpm_init.h"
#include "models/fir_resampling.h"

#include <torch/torch.h>

namespace scorch::models {

at::Tensor resample_without_conv(const at::Tensor& x, ResampleDirection direction, const ResamplingOptions& options) {
  const bool up = direction == ResampleDirection::up;
  if (options.fir) return up ? fir_upsample_2d(x, options.fir_kernel) : fir_downsample_2d(x, options.fir_kernel);
  return up ? naive_upsample_2d(x) : naive_downsample_2d(x);
}

FirConv2dImpl::FirConv2dImpl(std::int64_t in_channels, std::int64_t out_channels, ResampleDirection direction,
                             std::vector<double> fir_kernel)
    : direction_(direction), fir_kernel_(std::move(fir_kernel)) {
  at::Tensor weight = torch::empty({out_channels, in_channels, 3, 3});
  ddpm_init_(weight);
  weight_ = register_parameter("weight", weight);
  bias_ = register_parameter("bias", torch::zeros({out_channels}));
}

at::Tensor FirConv2dImpl::forward(const at::Tensor& x) {
  const at::Tensor h = direction_ == ResampleDirection::up ? fir_upsample_conv_2d(x, weight_, fir_kernel_)
                                                           : fir_conv_downsample_2d(x, weight_, fir_kernel_);
  return h + bias_.reshape({1, -1, 1, 1});
}

ResampleImpl::ResampleImpl(std::int64_t in_channels, std::int64_t out_channels, ResampleDirection direction,
                           ResamplingOptions options)
    : direction_(direction), options_(std::move(options)) {
  if (!options_.with_conv) return;
  if (options_.fir) {
    Conv2d_0_ = register_module(
        "Conv2d_0", std::make_shared<FirConv2dImpl>(in_channels, out_channels, direction, options_.fir_kernel));
  } else if (direction == ResampleDirection::up) {
    Conv_0_ = register_module("Conv_0", ddpm_conv(in_channels, out_channels, 3));
  } else {
    Conv_0_ = register_module("Conv_0", ddpm_conv(in_channels, out_channels, 3, 1.0, /*stride=*/2, /*padding=*/0));
  }
}

at::Tensor ResampleImpl::forward(const at::Tensor& x) {
  if (!options_.with_conv) return resample_without_conv(x, direction_, options_);
  if (options_.fir) return Conv2d_0_->forward(x);
  if (direction_ == ResampleDirection::up) return Conv_0_->forward(naive_upsample_2d(x));
  // TensorFlow "SAME" padding of a stride-2 3×3 convolution pads only after.
  return Conv_0_->forward(at::constant_pad_nd(x, {0, 1, 0, 1}));
}

}  // namespace scorch::models
