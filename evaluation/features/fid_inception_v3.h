#pragma once
// The Inception-v3 of pytorch-fid, in which published FIDs are computed
// (docs/comparable-numbers.md): torchvision's Inception3 with the patches
// that make it compute what the TensorFlow graph of 2015-12-05 computes.
//   - BasicConv2d is a convolution without bias, batch norm (eps 1e-3, eval
//     mode) and ReLU;
//   - the average pools of Mixed_5b–d, 6b–e and 7b leave the zero padding out
//     of the average (count_include_pad=False), as TensorFlow does;
//   - the pool branch of Mixed_7c takes a max pool, as the graph does.
// Module names are those of pytorch-fid's state dict
// (Mixed_7c.branch3x3dbl_3b.conv.weight), so its weights load by name.
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace scorch::evaluation {

// One stage of the network (a BasicConv2d, a pool or a Mixed block).
class InceptionStage : public torch::nn::Module {
 public:
  virtual at::Tensor forward(const at::Tensor& x) = 0;
};

class FidInceptionV3Impl : public torch::nn::Module {
 public:
  static constexpr std::int64_t kFeatures = 2048;  // pool3
  static constexpr std::int64_t kClasses = 1008;   // the graph's softmax, with its unused classes
  static constexpr std::int64_t kInputSize = 299;

  FidInceptionV3Impl();
  // x: float [B, 3, 299, 299] in [−1, 1]; the 2048 pool3 features.
  at::Tensor pool3(const at::Tensor& x);
  // pool3 times the fc weight, without the bias: torch-fidelity's
  // "logits_unbiased", from which it and the original TensorFlow code take
  // the Inception Score.
  at::Tensor unbiased_logits(const at::Tensor& pool3_features) const;

 private:
  std::vector<std::shared_ptr<InceptionStage>> stages_;
  torch::nn::Linear fc_{nullptr};
};
TORCH_MODULE(FidInceptionV3);

// uint8 images [B, C, H, W] (C = 1 or 3) as pytorch-fid feeds them: to
// [0, 1], grayscale repeated to three channels, bilinear resize to 299×299
// with align_corners=False, then 2x − 1.
at::Tensor fid_inception_input(const at::Tensor& images);

}  // namespace scorch::evaluation
