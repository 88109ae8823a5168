#include "models/ncsnpp_resnet_blocks.h"

#include "models/ddpm_init.h"

#include <torch/torch.h>

#include <cmath>

namespace scorch::models {

ResnetBlockBase::ResnetBlockBase(std::int64_t in_channels, std::int64_t out_channels,
                                 const ResnetBlockOptions& options)
    : in_channels_(in_channels), out_channels_(out_channels), options_(options) {
  GroupNorm_0_ = register_module("GroupNorm_0", ncsnpp_group_norm(in_channels));
  Conv_0_ = register_module("Conv_0", ddpm_conv(in_channels, out_channels, 3));
  if (options.embedding_dim > 0) Dense_0_ = register_module("Dense_0", ddpm_linear(options.embedding_dim, out_channels));
  GroupNorm_1_ = register_module("GroupNorm_1", ncsnpp_group_norm(out_channels));
  Dropout_0_ = register_module("Dropout_0", torch::nn::Dropout(options.dropout));
  Conv_1_ = register_module("Conv_1", ddpm_conv(out_channels, out_channels, 3, options.init_scale));
}

at::Tensor ResnetBlockBase::normalize_input(const at::Tensor& x) {
  return activate(GroupNorm_0_->forward(x), options_.activation);
}

at::Tensor ResnetBlockBase::finish(const at::Tensor& h, const at::Tensor& temb) {
  at::Tensor out = Conv_0_->forward(h);
  if (temb.defined() && Dense_0_) {
    out = out + Dense_0_->forward(activate(temb, options_.activation)).unsqueeze(-1).unsqueeze(-1);
  }
  out = activate(GroupNorm_1_->forward(out), options_.activation);
  return Conv_1_->forward(Dropout_0_->forward(out));
}

at::Tensor ResnetBlockBase::add_residual(const at::Tensor& shortcut, const at::Tensor& h) const {
  return options_.skip_rescale ? (shortcut + h) / std::sqrt(2.0) : shortcut + h;
}

ResnetBlockDdpmImpl::ResnetBlockDdpmImpl(std::int64_t in_channels, std::int64_t out_channels,
                                         const ResnetBlockOptions& options)
    : ResnetBlockBase(in_channels, out_channels, options) {
  if (in_channels != out_channels) NIN_0_ = register_module("NIN_0", std::make_shared<NinImpl>(in_channels, out_channels));
}

at::Tensor ResnetBlockDdpmImpl::forward(const at::Tensor& x, const at::Tensor& temb) {
  const at::Tensor h = finish(normalize_input(x), temb);
  return add_residual(NIN_0_ ? NIN_0_->forward(x) : x, h);
}

ResnetBlockBigGanImpl::ResnetBlockBigGanImpl(std::int64_t in_channels, std::int64_t out_channels,
                                             const ResnetBlockOptions& options, Resample resample,
                                             ResamplingOptions resampling)
    : ResnetBlockBase(in_channels, out_channels, options), resample_(resample), resampling_(std::move(resampling)) {
  if (in_channels != out_channels || resample != Resample::none) {
    Conv_2_ = register_module("Conv_2", ddpm_conv(in_channels, out_channels, 1));
  }
}

at::Tensor ResnetBlockBigGanImpl::resample(const at::Tensor& x) const {
  if (resample_ == Resample::none) return x;
  return resample_without_conv(x, resample_ == Resample::up ? ResampleDirection::up : ResampleDirection::down,
                               resampling_);
}

at::Tensor ResnetBlockBigGanImpl::forward(const at::Tensor& x, const at::Tensor& temb) {
  const at::Tensor h = finish(resample(normalize_input(x)), temb);
  const at::Tensor shortcut = resample(x);
  return add_residual(Conv_2_ ? Conv_2_->forward(shortcut) : shortcut, h);
}

}  // namespace scorch::models
