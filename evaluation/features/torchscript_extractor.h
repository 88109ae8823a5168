#pragma once
// A TorchScript feature network with the calling convention of the standard
// Inception port (docs/conventions.md §4): forward(uint8 NCHW images of any size,
// return_features=True) gives the pool features, forward(images,
// no_output_bias=True) the class outputs without the final bias. The class
// outputs may be probabilities (as that port returns) or logits; rows that
// lie in [0, 1] and sum to 1 are taken as probabilities.
#include "evaluation/features/feature_extractor.h"

#include <torch/csrc/jit/api/module.h>

namespace scorch::evaluation {

class TorchScriptExtractor final : public FeatureExtractor {
 public:
  TorchScriptExtractor(const std::string& path, const at::Device& device);
  std::string identity() const override { return identity_; }
  ExtractedFeatures extract(const at::Tensor& images, const FeatureRequest& request) override;

 private:
  at::Tensor call(const at::Tensor& images, const std::string& flag);

  std::string path_;
  torch::jit::Module module_;
  at::Device device_;
  std::string identity_;
};

}  // namespace scorch::evaluation
