#include "models/ncsnpp.h"

#include "common/user_error.h"
#include "models/ddpm_init.h"
#include "models/ncsnpp_resampling.h"
#include "models/ncsnpp_resnet_blocks.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace scorch::models {
namespace {

using Options = NcsnppOptions;

// Walks all_modules in construction order, as the reference forward does with m_idx.
class ModuleCursor {
 public:
  explicit ModuleCursor(const torch::nn::ModuleList& modules) : modules_(modules) {}
  template <typename Module>
  Module& next() {
    if (index_ >= modules_->size()) throw std::logic_error("ncsnpp: forward ran past the module list");
    auto* module = modules_->ptr(index_++)->template as<Module>();
    if (module == nullptr) throw std::logic_error(fmt::format("ncsnpp: module {} has an unexpected type", index_ - 1));
    return *module;
  }
  bool finished() const { return index_ == modules_->size(); }

 private:
  const torch::nn::ModuleList& modules_;
  std::size_t index_ = 0;
};

at::Tensor rescaled_sum(const at::Tensor& a, const at::Tensor& b, bool skip_rescale) {
  return skip_rescale ? (a + b) / std::sqrt(2.0) : a + b;
}

void validate(const Options& o) {
  if (o.channels < 1 || o.image_size < 1 || o.nf < 1 || o.num_res_blocks < 1 || o.ch_mult.empty()) {
    throw UserError("ncsnpp needs positive channels, image size, nf and num_res_blocks, and a non-empty ch_mult");
  }
  for (std::int64_t m : o.ch_mult) {
    if (m < 1) throw UserError("ncsnpp ch_mult entries must be positive");
  }
  const std::int64_t reduction = std::int64_t{1} << (o.ch_mult.size() - 1);
  if (o.image_size % reduction != 0) {
    throw UserError(fmt::format("ncsnpp: image size {} is not divisible by 2^{} for {} resolution levels", o.image_size,
                                o.ch_mult.size() - 1, o.ch_mult.size()));
  }
  if (o.fir && o.fir_kernel.size() < 2) throw UserError("ncsnpp fir_kernel needs at least 2 taps");
  if (o.dropout < 0.0 || o.dropout >= 1.0) throw UserError("ncsnpp dropout must be in [0, 1)");
}

}  // namespace

NcsnppModel::NcsnppModel(NcsnppOptions options, Preconditioning preconditioning)
    : ScoreNetwork(std::move(preconditioning)), options_(std::move(options)) {
  validate(options_);
  build();
}

void NcsnppModel::build() {
  const Options& o = options_;
  torch::nn::ModuleList modules;
  const std::int64_t nf = o.nf;
  const std::int64_t levels = static_cast<std::int64_t>(o.ch_mult.size());
  auto has_attention = [&](std::int64_t level) {
    const std::int64_t resolution = o.image_size >> level;
    return std::find(o.attn_resolutions.begin(), o.attn_resolutions.end(), resolution) != o.attn_resolutions.end();
  };

  std::int64_t embed_dim = nf;
  if (o.embedding_type == Options::Embedding::fourier) {
    modules->push_back(std::make_shared<GaussianFourierProjectionImpl>(nf, o.fourier_scale));
    embed_dim = 2 * nf;
  }
  if (o.conditional) {
    modules->push_back(ddpm_linear(embed_dim, 4 * nf));
    modules->push_back(ddpm_linear(4 * nf, 4 * nf));
  }

  // The reference also builds each block's Dense_0 when unconditional, but
  // never uses it; leaving it out keeps every parameter trainable.
  const ResnetBlockOptions block{o.nonlinearity, o.dropout, o.skip_rescale, o.init_scale, o.conditional ? 4 * nf : 0};
  const ResamplingOptions resample_as_configured{o.fir, o.fir_kernel, o.resamp_with_conv};
  const ResamplingOptions resample_with_conv{o.fir, o.fir_kernel, true};
  const ResamplingOptions parameter_free{o.fir, o.fir_kernel, false};
  auto resnet = [&](std::int64_t in, std::int64_t out, ResnetBlockBigGanImpl::Resample resample =
                                                           ResnetBlockBigGanImpl::Resample::none)
      -> std::shared_ptr<ResnetBlock> {
    if (o.resblock_type == Options::ResblockType::ddpm) return std::make_shared<ResnetBlockDdpmImpl>(in, out, block);
    return std::make_shared<ResnetBlockBigGanImpl>(in, out, block, resample, parameter_free);
  };
  auto attention = [&](std::int64_t channels) {
    return std::make_shared<AttentionBlockImpl>(channels, o.skip_rescale, o.init_scale);
  };

  // Downsampling path.
  std::int64_t input_pyramid_ch = o.channels;
  modules->push_back(ddpm_conv(o.channels, nf, 3));
  std::vector<std::int64_t> skip_channels = {nf};
  std::int64_t in_ch = nf;
  for (std::int64_t level = 0; level < levels; ++level) {
    for (std::int64_t i = 0; i < o.num_res_blocks; ++i) {
      const std::int64_t out_ch = nf * o.ch_mult[level];
      modules->push_back(resnet(in_ch, out_ch));
      in_ch = out_ch;
      if (has_attention(level)) modules->push_back(attention(in_ch));
      skip_channels.push_back(in_ch);
    }
    if (level == levels - 1) continue;
    if (o.resblock_type == Options::ResblockType::ddpm) {
      modules->push_back(std::make_shared<ResampleImpl>(in_ch, in_ch, ResampleDirection::down, resample_as_configured));
    } else {
      modules->push_back(resnet(in_ch, in_ch, ResnetBlockBigGanImpl::Resample::down));
    }
    if (o.progressive_input == Options::ProgressiveInput::input_skip) {
      modules->push_back(std::make_shared<CombineImpl>(input_pyramid_ch, in_ch, o.progressive_combine));
      if (o.progressive_combine == CombineImpl::Method::cat) in_ch *= 2;
    } else if (o.progressive_input == Options::ProgressiveInput::residual) {
      modules->push_back(std::make_shared<ResampleImpl>(input_pyramid_ch, in_ch, ResampleDirection::down, resample_with_conv));
      input_pyramid_ch = in_ch;
    }
    skip_channels.push_back(in_ch);
  }

  // Middle.
  in_ch = skip_channels.back();
  modules->push_back(resnet(in_ch, in_ch));
  modules->push_back(attention(in_ch));
  modules->push_back(resnet(in_ch, in_ch));

  // Upsampling path.
  std::int64_t pyramid_ch = 0;
  for (std::int64_t level = levels - 1; level >= 0; --level) {
    for (std::int64_t i = 0; i <= o.num_res_blocks; ++i) {
      const std::int64_t out_ch = nf * o.ch_mult[level];
      modules->push_back(resnet(in_ch + skip_channels.back(), out_ch));
      skip_channels.pop_back();
      in_ch = out_ch;
    }
    if (has_attention(level)) modules->push_back(attention(in_ch));
    if (o.progressive == Options::Progressive::output_skip) {
      modules->push_back(ncsnpp_group_norm(in_ch));
      modules->push_back(ddpm_conv(in_ch, o.channels, 3, o.init_scale));
      pyramid_ch = o.channels;
    } else if (o.progressive == Options::Progressive::residual) {
      if (level == levels - 1) {
        modules->push_back(ncsnpp_group_norm(in_ch));
        modules->push_back(ddpm_conv(in_ch, in_ch, 3));
      } else {
        modules->push_back(std::make_shared<ResampleImpl>(pyramid_ch, in_ch, ResampleDirection::up, resample_with_conv));
      }
      pyramid_ch = in_ch;
    }
    if (level == 0) continue;
    if (o.resblock_type == Options::ResblockType::ddpm) {
      modules->push_back(std::make_shared<ResampleImpl>(in_ch, in_ch, ResampleDirection::up, resample_as_configured));
    } else {
      modules->push_back(resnet(in_ch, in_ch, ResnetBlockBigGanImpl::Resample::up));
    }
  }
  if (o.progressive != Options::Progressive::output_skip) {
    modules->push_back(ncsnpp_group_norm(in_ch));
    modules->push_back(ddpm_conv(in_ch, o.channels, 3, o.init_scale));
  }
  all_modules_ = register_module("all_modules", modules);
}

at::Tensor NcsnppModel::forward(const at::Tensor& x, const at::Tensor& label) {
  const Options& o = options_;
  const std::int64_t levels = static_cast<std::int64_t>(o.ch_mult.size());
  auto has_attention = [&](const at::Tensor& h) {
    return std::find(o.attn_resolutions.begin(), o.attn_resolutions.end(), h.size(-1)) != o.attn_resolutions.end();
  };
  auto act = [&](const at::Tensor& h) { return activate(h, o.nonlinearity); };
  ModuleCursor modules(all_modules_);
  const ResamplingOptions parameter_free{o.fir, o.fir_kernel, false};

  const at::Tensor labels = label.to(x.scalar_type()).reshape({-1});
  at::Tensor temb = o.embedding_type == Options::Embedding::fourier
                        ? modules.next<GaussianFourierProjectionImpl>().forward(at::log(labels))
                        : positional_embedding(labels, o.nf);
  if (o.conditional) {
    temb = modules.next<torch::nn::LinearImpl>().forward(temb);
    temb = modules.next<torch::nn::LinearImpl>().forward(act(temb));
  } else {
    temb = at::Tensor();
  }

  const at::Tensor input = o.centered ? x : 2.0 * x - 1.0;

  // Downsampling path.
  at::Tensor input_pyramid = input;
  std::vector<at::Tensor> skips = {modules.next<torch::nn::Conv2dImpl>().forward(input)};
  for (std::int64_t level = 0; level < levels; ++level) {
    for (std::int64_t i = 0; i < o.num_res_blocks; ++i) {
      at::Tensor h = modules.next<ResnetBlock>().forward(skips.back(), temb);
      if (has_attention(h)) h = modules.next<AttentionBlockImpl>().forward(h);
      skips.push_back(h);
    }
    if (level == levels - 1) continue;
    at::Tensor h = o.resblock_type == Options::ResblockType::ddpm
                       ? modules.next<ResampleImpl>().forward(skips.back())
                       : modules.next<ResnetBlock>().forward(skips.back(), temb);
    if (o.progressive_input == Options::ProgressiveInput::input_skip) {
      input_pyramid = resample_without_conv(input_pyramid, ResampleDirection::down, parameter_free);
      h = modules.next<CombineImpl>().forward(input_pyramid, h);
    } else if (o.progressive_input == Options::ProgressiveInput::residual) {
      input_pyramid = rescaled_sum(modules.next<ResampleImpl>().forward(input_pyramid), h, o.skip_rescale);
      h = input_pyramid;
    }
    skips.push_back(h);
  }

  // Middle.
  at::Tensor h = modules.next<ResnetBlock>().forward(skips.back(), temb);
  h = modules.next<AttentionBlockImpl>().forward(h);
  h = modules.next<ResnetBlock>().forward(h, temb);

  // Upsampling path.
  at::Tensor pyramid;
  for (std::int64_t level = levels - 1; level >= 0; --level) {
    for (std::int64_t i = 0; i <= o.num_res_blocks; ++i) {
      h = modules.next<ResnetBlock>().forward(at::cat({h, skips.back()}, 1), temb);
      skips.pop_back();
    }
    if (has_attention(h)) h = modules.next<AttentionBlockImpl>().forward(h);
    if (o.progressive == Options::Progressive::output_skip) {
      at::Tensor pyramid_h = act(modules.next<torch::nn::GroupNormImpl>().forward(h));
      pyramid_h = modules.next<torch::nn::Conv2dImpl>().forward(pyramid_h);
      pyramid = level == levels - 1 ? pyramid_h
                                    : resample_without_conv(pyramid, ResampleDirection::up, parameter_free) + pyramid_h;
    } else if (o.progressive == Options::Progressive::residual) {
      if (level == levels - 1) {
        pyramid = act(modules.next<torch::nn::GroupNormImpl>().forward(h));
        pyramid = modules.next<torch::nn::Conv2dImpl>().forward(pyramid);
      } else {
        pyramid = rescaled_sum(modules.next<ResampleImpl>().forward(pyramid), h, o.skip_rescale);
        h = pyramid;
      }
    }
    if (level == 0) continue;
    h = o.resblock_type == Options::ResblockType::ddpm ? modules.next<ResampleImpl>().forward(h)
                                                        : modules.next<ResnetBlock>().forward(h, temb);
  }

  if (o.progressive == Options::Progressive::output_skip) {
    h = pyramid;
  } else {
    h = act(modules.next<torch::nn::GroupNormImpl>().forward(h));
    h = modules.next<torch::nn::Conv2dImpl>().forward(h);
  }
  if (!modules.finished()) throw std::logic_error("ncsnpp: forward left modules unused");
  return h;
}

std::string NcsnppModel::architecture() const {
  return options_.embedding_type == Options::Embedding::fourier ? "Fourier features of log(label)"
                                                                : "sinusoidal embedding of label";
}

std::vector<std::int64_t> NcsnppModel::input_shape() const {
  return {options_.channels, options_.image_size, options_.image_size};
}

}  // namespace scorch::models
