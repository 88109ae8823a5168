#pragma once
// The DDPM / score_sde weight initialisation ("default_init"): variance scaling
// with fan_avg and a uniform distribution. An init scale of 0 becomes 1e-10, as
// in the reference, so zero-initialised output layers still pass gradients.
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include <cstdint>

namespace scorch::models {

// Fills `weight` in place; in_axis/out_axis name the fan dimensions.
void ddpm_init_(const at::Tensor& weight, double scale = 1.0, std::int64_t in_axis = 1, std::int64_t out_axis = 0);

// A k×k convolution (padding k/2 unless given) with default_init weights and zero bias.
torch::nn::Conv2d ddpm_conv(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel_size,
                            double init_scale = 1.0, std::int64_t stride = 1, std::int64_t padding = -1);
// A dense layer with default_init weights and zero bias.
torch::nn::Linear ddpm_linear(std::int64_t in_features, std::int64_t out_features);

}  // namespace scorch::models
