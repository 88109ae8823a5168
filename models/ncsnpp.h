#pragma once
// NCSN++ / DDPM++, the score_sde U-Net (Song et al. 2021), with every option
// of the reference configs. DDPM++ is this network with DDPM-style choices
// (positional embedding, no FIR, no input pyramid). The module list and
// parameter names ("all_modules.<i>.<Block>_<j>.<param>") match the reference
// state dict, so checkpoints port in both directions and stay stable.
#include "models/activation.h"
#include "models/ncsnpp_layers.h"
#include "models/score_model.h"

#include <torch/nn/modules/container/modulelist.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace scorch::models {

struct NcsnppOptions {
  enum class ResblockType { ddpm, biggan };
  enum class Progressive { none, output_skip, residual };
  enum class ProgressiveInput { none, input_skip, residual };
  enum class Embedding { fourier, positional };

  std::int64_t channels = 3;
  std::int64_t image_size = 32;  // square images; divisible by 2^(len(ch_mult) - 1)
  std::int64_t nf = 128;
  std::vector<std::int64_t> ch_mult = {1, 2, 2, 2};
  std::int64_t num_res_blocks = 4;
  std::vector<std::int64_t> attn_resolutions = {16};
  double dropout = 0.1;
  ResblockType resblock_type = ResblockType::biggan;
  bool skip_rescale = true;
  bool fir = true;
  std::vector<double> fir_kernel = {1, 3, 3, 1};
  Progressive progressive = Progressive::none;
  ProgressiveInput progressive_input = ProgressiveInput::residual;
  CombineImpl::Method progressive_combine = CombineImpl::Method::sum;
  Embedding embedding_type = Embedding::fourier;
  double fourier_scale = 16.0;
  bool conditional = true;
  double init_scale = 0.0;
  bool centered = false;  // false: inputs in [0, 1], mapped to [-1, 1] inside
  bool resamp_with_conv = true;
  Activation nonlinearity = Activation::swish;
};

// The network: label [B] feeds the embedding (Fourier features of log(label)
// or a sinusoidal embedding), the output is the last convolution's. The
// preconditioning supplies the label (σ_t, (N−1)·t, σ or 999·τ) and the output
// scaling (out/σ for scale_by_sigma, −out/σ_t for VP/subVP).
class NcsnppModel final : public ScoreNetwork {
 public:
  NcsnppModel(NcsnppOptions options, Preconditioning preconditioning);

  at::Tensor forward(const at::Tensor& x, const at::Tensor& label) override;
  static constexpr const char* kName = "ncsnpp";
  std::string name() const override { return kName; }
  std::string architecture() const override;
  std::vector<std::int64_t> input_shape() const override;
  const NcsnppOptions& options() const { return options_; }

 private:
  void build();

  NcsnppOptions options_;
  torch::nn::ModuleList all_modules_{nullptr};
};

}  // namespace scorch::models
