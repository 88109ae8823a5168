#pragma once
// Features and class probabilities from a `scorch train-classifier` network.
#include "evaluation/features/feature_extractor.h"
#include "evaluation/features/image_classifier.h"

namespace scorch::evaluation {

class ClassifierExtractor final : public FeatureExtractor {
 public:
  ClassifierExtractor(const std::string& path, const at::Device& device);
  std::string identity() const override { return identity_; }
  ExtractedFeatures extract(const at::Tensor& images, const FeatureRequest& request) override;
  const ClassifierFile& description() const { return description_; }

 private:
  ClassifierFile description_;  // before classifier_, which is read into it
  ImageClassifier classifier_{nullptr};
  at::Device device_;
  std::string identity_;
};

}  // namespace scorch::evaluation
