#pragma once
// A small CNN classifier that stands in for Inception on datasets where the
// standard extractor does not fit (Fashion-MNIST and other small grey images):
// its 128-d penultimate layer gives FID features and its softmax the IS class
// probabilities. Stored as HDF5: /parameters plus shape attributes.
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/linear.h>

#include <cstdint>
#include <string>

namespace scorch::evaluation {

struct ClassifierShape {
  std::int64_t channels = 1;
  std::int64_t image_size = 28;  // images of other sizes are resized to it
  std::int64_t classes = 10;
};

struct ClassifierOutput {
  at::Tensor features;  // [B, 128]
  at::Tensor logits;    // [B, classes]
};

class ImageClassifierImpl : public torch::nn::Module {
 public:
  static constexpr std::int64_t feature_dimension = 128;

  explicit ImageClassifierImpl(const ClassifierShape& shape);
  // uint8 images [B, C, H, W] on the module's device.
  ClassifierOutput forward(const at::Tensor& images);
  const ClassifierShape& shape() const { return shape_; }

 private:
  ClassifierShape shape_;
  torch::nn::Sequential convolutions_{nullptr};
  torch::nn::Linear penultimate_{nullptr}, output_{nullptr};
};
TORCH_MODULE(ImageClassifier);

struct ClassifierFile {
  ClassifierShape shape;
  double test_accuracy = 0.0;
  std::string trained_on;  // dataset path and content hash
};

void write_classifier(const std::string& path, ImageClassifierImpl& classifier, const ClassifierFile& description);
// Throws UserError when `path` is not a classifier written by write_classifier.
ImageClassifier read_classifier(const std::string& path, ClassifierFile* description = nullptr);
bool is_classifier_file(const std::string& path);

}  // namespace scorch::evaluation
