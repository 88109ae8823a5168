#pragma once
// NCSNv2 (Song & Ermon 2020): a RefineNet whose normalisation is not
// conditioned on the noise level; the preconditioning divides the output by σ
// (thesis §6, technique 3). The layout is that of ermongroup/ncsnv2's NCSNv2
// for images below 96 px (28×28 and 32×32 data), with its parameter names.
#include "models/activation.h"
#include "models/refinenet_blocks.h"
#include "models/score_model.h"

#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>

#include <cstdint>
#include <memory>

namespace scorch::models {

struct Ncsnv2Options {
  std::int64_t channels = 3;
  std::int64_t image_size = 32;  // even
  std::int64_t nf = 128;         // "ngf" in the reference
  Activation nonlinearity = Activation::elu;
  bool centered = false;  // false: inputs in [0, 1], mapped to [-1, 1] inside
};

class Ncsnv2Model final : public ScoreNetwork {
 public:
  // The preconditioning must divide the output by σ: the network has no label input.
  Ncsnv2Model(Ncsnv2Options options, Preconditioning preconditioning);

  // The reference network before its division by σ; `label` is not used.
  at::Tensor forward(const at::Tensor& x, const at::Tensor& label) override;
  static constexpr const char* kName = "ncsnv2";
  std::string name() const override { return kName; }
  std::string architecture() const override { return "unconditional RefineNet"; }
  // No label input: the noise level enters through the output scaling only.
  std::string describe(const std::string&, const std::string& output) const override {
    return architecture() + "; " + output;
  }
  std::vector<std::int64_t> input_shape() const override;

 private:
  Ncsnv2Options options_;
  torch::nn::Conv2d begin_conv_{nullptr}, end_conv_{nullptr};
  std::shared_ptr<InstanceNormPlusImpl> normalizer_;
  torch::nn::ModuleList res1_{nullptr}, res2_{nullptr}, res3_{nullptr}, res4_{nullptr};
  std::shared_ptr<RefineBlockImpl> refine1_, refine2_, refine3_, refine4_;
};

}  // namespace scorch::models
