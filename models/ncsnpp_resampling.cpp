#include "models/ncsnpp_resampling.h"

#include "models/ddpm_init.h"
#include "models/fir_resampling.h"

#include <torch/torch.h>

namespace scorch::models {

FirConv2dImpl::FirConv2dImpl(std::int64_t in_channels, std::int64_t out_channels, Direction direction,
                             std::vector<double> fir_kernel)
    : direction_(direction), fir_kernel_(std::move(fir_kernel)) {
  at::Tensor weight = torch::empty({out_channels, in_channels, 3, 3});
  ddpm_init_(weight);
  weight_ = register_parameter("weight", weight);
  bias_ = register_parameter("bias", torch::zeros({out_channels}));
}

at::Tensor FirConv2dImpl::forward(const at::Tensor& x) {
  const at::Tensor h = direction_ == Direction::up ? fir_upsample_conv_2d(x, weight_, fir_kernel_)
                                                   : fir_conv_downsample_2d(x, weight_, fir_kernel_);
  return h + bias_.reshape({1, -1, 1, 1});
}

UpsampleImpl::UpsampleImpl(std::int64_t in_channels, std::int64_t out_channels, ResamplingOptions options)
    : options_(std::move(options)) {
  if (!options_.with_conv) return;
  if (options_.fir) {
    Conv2d_0_ = register_module(
        "Conv2d_0", std::make_shared<FirConv2dImpl>(in_channels, out_channels, FirConv2dImpl::Direction::up,
                                                    options_.fir_kernel));
  } else {
    Conv_0_ = register_module("Conv_0", ddpm_conv(in_channels, out_channels, 3));
  }
}

at::Tensor UpsampleImpl::forward(const at::Tensor& x) {
  if (options_.fir) return options_.with_conv ? Conv2d_0_->forward(x) : fir_upsample_2d(x, options_.fir_kernel);
  const at::Tensor h = naive_upsample_2d(x);
  return options_.with_conv ? Conv_0_->forward(h) : h;
}

DownsampleImpl::DownsampleImpl(std::int64_t in_channels, std::int64_t out_channels, ResamplingOptions options)
    : options_(std::move(options)) {
  if (!options_.with_conv) return;
  if (options_.fir) {
    Conv2d_0_ = register_module(
        "Conv2d_0", std::make_shared<FirConv2dImpl>(in_channels, out_channels, FirConv2dImpl::Direction::down,
                                                    options_.fir_kernel));
  } else {
    Conv_0_ = register_module("Conv_0", ddpm_conv(in_channels, out_channels, 3, 1.0, /*stride=*/2, /*padding=*/0));
  }
}

at::Tensor DownsampleImpl::forward(const at::Tensor& x) {
  if (options_.fir) return options_.with_conv ? Conv2d_0_->forward(x) : fir_downsample_2d(x, options_.fir_kernel);
  // TensorFlow "SAME" padding of a stride-2 3×3 convolution pads only after.
  if (options_.with_conv) return Conv_0_->forward(at::constant_pad_nd(x, {0, 1, 0, 1}));
  return at::avg_pool2d(x, 2, 2);
}

}  // namespace scorch::models
