#include "models/ncsnpp_layers.h"

#include "common/user_error.h"
#include "models/ddpm_init.h"

#include <fmt/format.h>

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

namespace scorch::models {

torch::nn::GroupNorm ncsnpp_group_norm(std::int64_t channels) {
  const std::int64_t groups = std::min<std::int64_t>(channels / 4, 32);
  if (groups < 1 || channels % groups != 0) {
    throw UserError(fmt::format("ncsnpp: {} channels cannot be split into min(channels / 4, 32) = {} GroupNorm groups; "
                                "choose nf and ch_mult so every width is a multiple of 4 (and of 32 above 128)",
                                channels, groups));
  }
  return torch::nn::GroupNorm(torch::nn::GroupNormOptions(groups, channels).eps(1e-6));
}

NinImpl::NinImpl(std::int64_t in_channels, std::int64_t out_channels, double init_scale) {
  at::Tensor weight = torch::empty({in_channels, out_channels});
  ddpm_init_(weight, init_scale);
  W_ = register_parameter("W", weight);
  b_ = register_parameter("b", torch::zeros({out_channels}));
}

at::Tensor NinImpl::forward(const at::Tensor& x) {
  return (at::matmul(x.permute({0, 2, 3, 1}), W_) + b_).permute({0, 3, 1, 2});
}

GaussianFourierProjectionImpl::GaussianFourierProjectionImpl(std::int64_t embedding_size, double scale) {
  W_ = register_parameter("W", torch::randn({embedding_size}) * scale, /*requires_grad=*/false);
}

at::Tensor GaussianFourierProjectionImpl::forward(const at::Tensor& x) {
  const at::Tensor projection = x.unsqueeze(1) * W_.unsqueeze(0) * (2.0 * M_PI);
  return at::cat({at::sin(projection), at::cos(projection)}, 1);
}

at::Tensor positional_embedding(const at::Tensor& timesteps, std::int64_t dim, double max_positions) {
  const std::int64_t half = dim / 2;
  const double step = std::log(max_positions) / static_cast<double>(half - 1);
  const at::Tensor frequencies = at::exp(at::arange(half, timesteps.options()) * -step);
  const at::Tensor angles = timesteps.unsqueeze(1) * frequencies.unsqueeze(0);
  at::Tensor embedding = at::cat({at::sin(angles), at::cos(angles)}, 1);
  if (dim % 2 == 1) embedding = at::constant_pad_nd(embedding, {0, 1});
  return embedding;
}

CombineImpl::CombineImpl(std::int64_t in_channels, std::int64_t out_channels, Method method)
    : Conv_0_(register_module("Conv_0", ddpm_conv(in_channels, out_channels, 1))), method_(method) {}

at::Tensor CombineImpl::forward(const at::Tensor& x, const at::Tensor& y) {
  const at::Tensor h = Conv_0_->forward(x);
  return method_ == Method::cat ? at::cat({h, y}, 1) : h + y;
}

AttentionBlockImpl::AttentionBlockImpl(std::int64_t channels, bool skip_rescale, double init_scale)
    : GroupNorm_0_(register_module("GroupNorm_0", ncsnpp_group_norm(channels))),
      NIN_0_(register_module("NIN_0", std::make_shared<NinImpl>(channels, channels))),
      NIN_1_(register_module("NIN_1", std::make_shared<NinImpl>(channels, channels))),
      NIN_2_(register_module("NIN_2", std::make_shared<NinImpl>(channels, channels))),
      NIN_3_(register_module("NIN_3", std::make_shared<NinImpl>(channels, channels, init_scale))),
      skip_rescale_(skip_rescale) {}

at::Tensor AttentionBlockImpl::forward(const at::Tensor& x) {
  const std::int64_t B = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  const at::Tensor h = GroupNorm_0_->forward(x);
  const at::Tensor q = NIN_0_->forward(h).reshape({B, C, H * W});
  const at::Tensor k = NIN_1_->forward(h).reshape({B, C, H * W});
  const at::Tensor v = NIN_2_->forward(h).reshape({B, C, H * W});
  // weights[b, p, q]: attention of pixel p to pixel q, normalised over q.
  const at::Tensor weights = at::softmax(at::bmm(q.transpose(1, 2), k) / std::sqrt(static_cast<double>(C)), -1);
  const at::Tensor attended = at::bmm(v, weights.transpose(1, 2)).reshape({B, C, H, W});
  const at::Tensor out = x + NIN_3_->forward(attended);
  return skip_rescale_ ? out / std::sqrt(2.0) : out;
}

}  // namespace scorch::models
