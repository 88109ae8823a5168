#pragma once
// Building blocks of NCSN++/DDPM++ that are not residual or resampling blocks.
// Submodule and parameter names follow the score_sde reference (NIN_0, W, b,
// GroupNorm_0, Conv_0, ...) so a state dict maps one-to-one onto theirs.
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/normalization.h>

#include <cstdint>

namespace scorch::models {

// GroupNorm with min(channels / 4, 32) groups and eps 1e-6, as everywhere in NCSN++.
torch::nn::GroupNorm ncsnpp_group_norm(std::int64_t channels);

// A 1×1 convolution written as a channel matmul: y = xᵀW + b per pixel.
class NinImpl : public torch::nn::Module {
 public:
  NinImpl(std::int64_t in_channels, std::int64_t out_channels, double init_scale = 0.1);
  at::Tensor forward(const at::Tensor& x);

 private:
  at::Tensor W_, b_;
};

// Random Fourier features of a scalar: [sin(2π x W), cos(2π x W)]. W is
// fixed at initialisation; it is a (non-trainable) parameter so that parameter
// counts and state dicts match the reference.
class GaussianFourierProjectionImpl : public torch::nn::Module {
 public:
  GaussianFourierProjectionImpl(std::int64_t embedding_size, double scale);
  at::Tensor forward(const at::Tensor& x);  // [B] -> [B, 2 * embedding_size]

 private:
  at::Tensor W_;
};

// The transformer/DDPM sinusoidal embedding of (possibly fractional) timesteps: [B] -> [B, dim].
at::Tensor positional_embedding(const at::Tensor& timesteps, std::int64_t dim, double max_positions = 10000.0);

// Merges the input pyramid into the main path: 1×1 conv of x, then sum or concatenate with y.
class CombineImpl : public torch::nn::Module {
 public:
  enum class Method { sum, cat };
  CombineImpl(std::int64_t in_channels, std::int64_t out_channels, Method method);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& y);

 private:
  torch::nn::Conv2d Conv_0_{nullptr};
  Method method_;
};

// Single-head self-attention over pixels with a residual connection.
class AttentionBlockImpl : public torch::nn::Module {
 public:
  AttentionBlockImpl(std::int64_t channels, bool skip_rescale, double init_scale);
  at::Tensor forward(const at::Tensor& x);

 private:
  torch::nn::GroupNorm GroupNorm_0_{nullptr};
  std::shared_ptr<NinImpl> NIN_0_, NIN_1_, NIN_2_, NIN_3_;
  bool skip_rescale_;
};

}  // namespace scorch::models
