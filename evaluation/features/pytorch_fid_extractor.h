#pragma once
// Features, logits and class probabilities from pytorch-fid's Inception-v3
// with the weights file users download for it
// (pt_inception-2015-12-05-6726825d.pth; docs/comparable-numbers.md). The
// file is torch.save's legacy format; the zip format loads as well.
#include "evaluation/features/feature_extractor.h"
#include "evaluation/features/fid_inception_v3.h"

#include <string>

namespace scorch::evaluation {

class PytorchFidExtractor final : public FeatureExtractor {
 public:
  // A file whose name carries a hash prefix ("-6726825d.pth") must have a
  // SHA-256 that begins with it; a damaged, truncated or foreign file is a
  // one-line UserError.
  PytorchFidExtractor(const std::string& weights_path, const at::Device& device);
  // A network whose weights are already in place (tests with seeded weights).
  // Channels-last (NHWC) is the layout the convolutions run fastest in
  // (scorch_inception_benchmark); the features are the same to rounding.
  PytorchFidExtractor(FidInceptionV3 network, std::string identity, const at::Device& device,
                      bool channels_last = true);
  std::string identity() const override { return identity_; }
  // pool3 features, and the log-softmax of the fc logits without their bias.
  ExtractedFeatures extract(const at::Tensor& images, const FeatureRequest& request) override;

 private:
  void prepare();  // eval mode, device and layout

  FidInceptionV3 network_;
  at::Device device_;
  std::string identity_;
  bool channels_last_ = true;
};

// The hash prefix in a weights file name as torch.hub writes it: the hex
// digits (8 or more) between the last '-' and the following '.'; empty when
// there are none.
std::string hash_prefix_in_file_name(const std::string& path);

}  // namespace scorch::evaluation
