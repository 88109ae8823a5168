#include "models/ncsnv2.h"

#include "common/user_error.h"

#include <torch/torch.h>

#include <stdexcept>

namespace scorch::models {
namespace {

torch::nn::ModuleList residual_stage(std::int64_t in, std::int64_t out, bool down, std::int64_t dilation,
                                     Activation activation) {
  torch::nn::ModuleList stage;
  stage->push_back(std::make_shared<RefineResidualBlockImpl>(in, out, down, dilation, activation));
  stage->push_back(std::make_shared<RefineResidualBlockImpl>(out, out, false, dilation, activation));
  return stage;
}

at::Tensor run_stage(const torch::nn::ModuleList& stage, at::Tensor h) {
  for (const auto& block : *stage) h = block->as<RefineResidualBlockImpl>()->forward(h);
  return h;
}

}  // namespace

Ncsnv2Model::Ncsnv2Model(Ncsnv2Options options, Preconditioning preconditioning)
    : ScoreNetwork(std::move(preconditioning)), options_(options) {
  if (this->preconditioning().output_kind() != Preconditioning::Output::over_noise_std) {
    throw std::logic_error("ncsnv2 needs a preconditioning that divides its output by sigma");
  }
  if (options_.channels < 1 || options_.nf < 1 || options_.image_size < 2 || options_.image_size % 2 != 0) {
    throw UserError("ncsnv2 needs positive channels and nf and an even image size");
  }
  const std::int64_t nf = options_.nf;
  const Activation act = options_.nonlinearity;
  begin_conv_ = register_module("begin_conv",
                                torch::nn::Conv2d(torch::nn::Conv2dOptions(options_.channels, nf, 3).padding(1)));
  normalizer_ = register_module("normalizer", std::make_shared<InstanceNormPlusImpl>(nf));
  end_conv_ = register_module("end_conv",
                              torch::nn::Conv2d(torch::nn::Conv2dOptions(nf, options_.channels, 3).padding(1)));
  res1_ = register_module("res1", residual_stage(nf, nf, false, 1, act));
  res2_ = register_module("res2", residual_stage(nf, 2 * nf, true, 1, act));
  res3_ = register_module("res3", residual_stage(2 * nf, 2 * nf, true, 2, act));
  res4_ = register_module("res4", residual_stage(2 * nf, 2 * nf, true, 4, act));
  refine1_ = register_module("refine1", std::make_shared<RefineBlockImpl>(std::vector<std::int64_t>{2 * nf}, 2 * nf, act,
                                                                          /*start=*/true, /*end=*/false));
  refine2_ = register_module("refine2", std::make_shared<RefineBlockImpl>(std::vector<std::int64_t>{2 * nf, 2 * nf},
                                                                          2 * nf, act, false, false));
  refine3_ = register_module("refine3", std::make_shared<RefineBlockImpl>(std::vector<std::int64_t>{2 * nf, 2 * nf}, nf,
                                                                          act, false, false));
  refine4_ = register_module("refine4", std::make_shared<RefineBlockImpl>(std::vector<std::int64_t>{nf, nf}, nf, act,
                                                                          false, /*end=*/true));
}

at::Tensor Ncsnv2Model::forward(const at::Tensor& x, const at::Tensor&) {
  const at::Tensor h = options_.centered ? x : 2.0 * x - 1.0;
  const at::Tensor layer1 = run_stage(res1_, begin_conv_->forward(h));
  const at::Tensor layer2 = run_stage(res2_, layer1);
  const at::Tensor layer3 = run_stage(res3_, layer2);
  const at::Tensor layer4 = run_stage(res4_, layer3);
  const at::Tensor ref1 = refine1_->forward({layer4}, layer4.sizes().slice(2));
  const at::Tensor ref2 = refine2_->forward({layer3, ref1}, layer3.sizes().slice(2));
  const at::Tensor ref3 = refine3_->forward({layer2, ref2}, layer2.sizes().slice(2));
  at::Tensor out = refine4_->forward({layer1, ref3}, layer1.sizes().slice(2));
  return end_conv_->forward(activate(normalizer_->forward(out), options_.nonlinearity));
}

std::vector<std::int64_t> Ncsnv2Model::input_shape() const {
  return {options_.channels, options_.image_size, options_.image_size};
}

}  // namespace scorch::models
