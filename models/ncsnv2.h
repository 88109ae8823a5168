#pragma once
// NCSNv2 (Song & Ermon 2020): a RefineNet whose normalisation is not
// conditioned on the noise level; the score is the output divided by σ
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

class Sde;

struct Ncsnv2Options {
  std::int64_t channels = 3;
  std::int64_t image_size = 32;  // even
  std::int64_t nf = 128;         // "ngf" in the reference
  Activation nonlinearity = Activation::elu;
  bool centered = false;  // false: inputs in [0, 1], mapped to [-1, 1] inside
};

class Ncsnv2Model final : public ScoreModel {
 public:
  // Noise-level conditioned, or time-conditioned on a VE `sde` through σ(t).
  Ncsnv2Model(Ncsnv2Options options, std::shared_ptr<const Sde> sde);

  at::Tensor score(const at::Tensor& x, const at::Tensor& conditioning) override;
  std::string name() const override { return "ncsnv2"; }
  std::string parameterisation() const override;
  std::vector<std::int64_t> input_shape() const override;

  // The reference forward with the level's σ given directly: net(x) / σ.
  at::Tensor network_output(const at::Tensor& x, const at::Tensor& sigma);

 private:
  Ncsnv2Options options_;
  std::shared_ptr<const Sde> sde_;
  torch::nn::Conv2d begin_conv_{nullptr}, end_conv_{nullptr};
  std::shared_ptr<InstanceNormPlusImpl> normalizer_;
  torch::nn::ModuleList res1_{nullptr}, res2_{nullptr}, res3_{nullptr}, res4_{nullptr};
  std::shared_ptr<RefineBlockImpl> refine1_, refine2_, refine3_, refine4_;
};

}  // namespace scorch::models
