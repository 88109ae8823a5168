#include "models/ddpm_init.h"

#include <torch/torch.h>

#include <cmath>

namespace scorch::models {

void ddpm_init_(const at::Tensor& weight, double scale, std::int64_t in_axis, std::int64_t out_axis) {
  if (scale == 0.0) scale = 1e-10;
  const double receptive_field =
      static_cast<double>(weight.numel()) / static_cast<double>(weight.size(in_axis) * weight.size(out_axis));
  const double fan_in = static_cast<double>(weight.size(in_axis)) * receptive_field;
  const double fan_out = static_cast<double>(weight.size(out_axis)) * receptive_field;
  const double bound = std::sqrt(3.0 * scale / ((fan_in + fan_out) / 2.0));
  torch::NoGradGuard no_grad;
  weight.uniform_(-bound, bound);
}

torch::nn::Conv2d ddpm_conv(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel_size,
                            double init_scale, std::int64_t stride, std::int64_t padding) {
  if (padding < 0) padding = kernel_size / 2;
  torch::nn::Conv2d conv(
      torch::nn::Conv2dOptions(in_channels, out_channels, kernel_size).stride(stride).padding(padding));
  ddpm_init_(conv->weight, init_scale);
  torch::NoGradGuard no_grad;
  conv->bias.zero_();
  return conv;
}

torch::nn::Linear ddpm_linear(std::int64_t in_features, std::int64_t out_features) {
  torch::nn::Linear linear(in_features, out_features);
  ddpm_init_(linear->weight);
  torch::NoGradGuard no_grad;
  linear->bias.zero_();
  return linear;
}

}  // namespace scorch::models
