#include "models/refinenet_blocks.h"

#include <fmt/format.h>
#include <torch/torch.h>

namespace scorch::models {
namespace {

torch::nn::Conv2d conv3x3(std::int64_t in, std::int64_t out, bool bias = true, std::int64_t dilation = 1) {
  return torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, 3).padding(dilation).dilation(dilation).bias(bias));
}

// A convolution followed by 2×2 mean pooling.
class ConvMeanPoolImpl : public torch::nn::Module {
 public:
  ConvMeanPoolImpl(std::int64_t in, std::int64_t out, std::int64_t kernel_size)
      : conv_(register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel_size)
                                                            .padding(kernel_size / 2)))) {}
  at::Tensor forward(const at::Tensor& x) { return at::avg_pool2d(conv_->forward(x), 2, 2); }

 private:
  torch::nn::Conv2d conv_;
};

at::Tensor run(const std::shared_ptr<torch::nn::Module>& module, const at::Tensor& x) {
  if (auto* conv = module->as<torch::nn::Conv2dImpl>()) return conv->forward(x);
  return module->as<ConvMeanPoolImpl>()->forward(x);
}

}  // namespace

InstanceNormPlusImpl::InstanceNormPlusImpl(std::int64_t channels) {
  alpha_ = register_parameter("alpha", torch::empty({channels}).normal_(1.0, 0.02));
  gamma_ = register_parameter("gamma", torch::empty({channels}).normal_(1.0, 0.02));
  beta_ = register_parameter("beta", torch::zeros({channels}));
}

at::Tensor InstanceNormPlusImpl::forward(const at::Tensor& x) {
  const at::Tensor channel_means = x.mean({2, 3});
  // Standardised across channels, with the unbiased variance as in the reference.
  const at::Tensor standardised = (channel_means - channel_means.mean(-1, true)) /
                                  at::sqrt(channel_means.var(-1, /*unbiased=*/true, /*keepdim=*/true) + 1e-5);
  const at::Tensor normalised = at::instance_norm(x, {}, {}, {}, {}, /*use_input_stats=*/true, 0.1, 1e-5, false);
  const at::Tensor h = normalised + standardised.unsqueeze(-1).unsqueeze(-1) * alpha_.view({1, -1, 1, 1});
  return gamma_.view({1, -1, 1, 1}) * h + beta_.view({1, -1, 1, 1});
}

RefineResidualBlockImpl::RefineResidualBlockImpl(std::int64_t in_channels, std::int64_t out_channels, bool down,
                                                 std::int64_t dilation, Activation activation)
    : activation_(activation) {
  const bool dilated = dilation > 1;
  const std::int64_t middle = down ? in_channels : out_channels;
  conv1_ = register_module("conv1", conv3x3(in_channels, middle, true, dilation).ptr());
  normalize2_ = register_module("normalize2", std::make_shared<InstanceNormPlusImpl>(middle));
  if (down && !dilated) {
    conv2_ = register_module("conv2", std::make_shared<ConvMeanPoolImpl>(in_channels, out_channels, 3));
  } else {
    conv2_ = register_module("conv2", conv3x3(middle, out_channels, true, dilation).ptr());
  }
  if (down || in_channels != out_channels) {
    std::shared_ptr<torch::nn::Module> shortcut;
    if (dilated) {
      shortcut = conv3x3(in_channels, out_channels, true, dilation).ptr();
    } else if (down) {
      shortcut = std::make_shared<ConvMeanPoolImpl>(in_channels, out_channels, 1);
    } else {
      shortcut = torch::nn::Conv2d(torch::nn::Conv2dOptions(in_channels, out_channels, 1)).ptr();
    }
    shortcut_ = register_module("shortcut", shortcut);
  }
  normalize1_ = register_module("normalize1", std::make_shared<InstanceNormPlusImpl>(in_channels));
}

at::Tensor RefineResidualBlockImpl::forward(const at::Tensor& x) {
  at::Tensor h = run(conv1_, activate(normalize1_->forward(x), activation_));
  h = run(conv2_, activate(normalize2_->forward(h), activation_));
  return (shortcut_ ? run(shortcut_, x) : x) + h;
}

RcuBlockImpl::RcuBlockImpl(std::int64_t channels, std::int64_t blocks, std::int64_t stages, Activation activation)
    : activation_(activation) {
  for (std::int64_t i = 0; i < blocks; ++i) {
    convs_.emplace_back();
    for (std::int64_t j = 0; j < stages; ++j) {
      convs_.back().push_back(register_module(fmt::format("{}_{}_conv", i + 1, j + 1), conv3x3(channels, channels, false)));
    }
  }
}

at::Tensor RcuBlockImpl::forward(const at::Tensor& x) {
  at::Tensor h = x;
  for (const auto& block : convs_) {
    const at::Tensor residual = h;
    for (auto conv : block) h = conv->forward(activate(h, activation_));
    h = h + residual;
  }
  return h;
}

MsfBlockImpl::MsfBlockImpl(const std::vector<std::int64_t>& in_channels, std::int64_t channels) {
  torch::nn::ModuleList convs;
  for (std::int64_t in : in_channels) convs->push_back(conv3x3(in, channels, true));
  convs_ = register_module("convs", convs);
}

at::Tensor MsfBlockImpl::forward(const std::vector<at::Tensor>& xs, at::IntArrayRef size) {
  at::Tensor sum;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const at::Tensor h = at::upsample_bilinear2d(convs_[i]->as<torch::nn::Conv2dImpl>()->forward(xs[i]), size,
                                                 /*align_corners=*/true);
    sum = sum.defined() ? sum + h : h;
  }
  return sum;
}

CrpBlockImpl::CrpBlockImpl(std::int64_t channels, std::int64_t stages, Activation activation)
    : activation_(activation) {
  torch::nn::ModuleList convs;
  for (std::int64_t i = 0; i < stages; ++i) convs->push_back(conv3x3(channels, channels, false));
  convs_ = register_module("convs", convs);
}

at::Tensor CrpBlockImpl::forward(const at::Tensor& x) {
  at::Tensor h = activate(x, activation_);
  at::Tensor path = h;
  for (const auto& conv : *convs_) {
    path = conv->as<torch::nn::Conv2dImpl>()->forward(at::max_pool2d(path, 5, 1, 2));
    h = path + h;
  }
  return h;
}

RefineBlockImpl::RefineBlockImpl(const std::vector<std::int64_t>& in_channels, std::int64_t channels,
                                 Activation activation, bool start, bool end) {
  torch::nn::ModuleList adapt;
  for (std::int64_t in : in_channels) adapt->push_back(std::make_shared<RcuBlockImpl>(in, 2, 2, activation));
  adapt_convs_ = register_module("adapt_convs", adapt);
  output_convs_ = register_module("output_convs", std::make_shared<RcuBlockImpl>(channels, end ? 3 : 1, 2, activation));
  if (!start) msf_ = register_module("msf", std::make_shared<MsfBlockImpl>(in_channels, channels));
  crp_ = register_module("crp", std::make_shared<CrpBlockImpl>(channels, 2, activation));
}

at::Tensor RefineBlockImpl::forward(const std::vector<at::Tensor>& xs, at::IntArrayRef size) {
  std::vector<at::Tensor> adapted;
  for (std::size_t i = 0; i < xs.size(); ++i) adapted.push_back(adapt_convs_[i]->as<RcuBlockImpl>()->forward(xs[i]));
  const at::Tensor h = adapted.size() > 1 ? msf_->forward(adapted, size) : adapted[0];
  return output_convs_->forward(crp_->forward(h));
}

}  // namespace scorch::models
