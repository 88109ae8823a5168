#include "evaluation/features/image_classifier.h"

#include "common/user_error.h"
#include "data/tensor_archive.h"
#include "models/module_state.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>

namespace scorch::evaluation {
namespace {

constexpr const char* kind_attribute = "image_classifier";

torch::nn::Conv2dOptions conv3x3(std::int64_t in, std::int64_t out) {
  return torch::nn::Conv2dOptions(in, out, 3).padding(1);
}

}  // namespace

ImageClassifierImpl::ImageClassifierImpl(const ClassifierShape& shape) : shape_(shape) {
  if (shape.channels < 1 || shape.image_size < 4 || shape.classes < 2) {
    throw UserError(fmt::format("classifier: unsupported shape ({} channels, {} px, {} classes)", shape.channels,
                                shape.image_size, shape.classes));
  }
  convolutions_ = register_module(
      "convolutions",
      torch::nn::Sequential(torch::nn::Conv2d(conv3x3(shape.channels, 32)), torch::nn::ReLU(),
                            torch::nn::Conv2d(conv3x3(32, 32)), torch::nn::ReLU(), torch::nn::MaxPool2d(2),
                            torch::nn::Conv2d(conv3x3(32, 64)), torch::nn::ReLU(), torch::nn::Conv2d(conv3x3(64, 64)),
                            torch::nn::ReLU(), torch::nn::MaxPool2d(2)));
  const std::int64_t pooled = shape.image_size / 4;
  penultimate_ = register_module("penultimate", torch::nn::Linear(64 * pooled * pooled, feature_dimension));
  output_ = register_module("output", torch::nn::Linear(feature_dimension, shape.classes));
}

ClassifierOutput ImageClassifierImpl::forward(const at::Tensor& images) {
  if (images.dim() != 4 || images.size(1) != shape_.channels) {
    throw UserError(fmt::format("classifier: expects images [B, {}, H, W], got {}", shape_.channels,
                                fmt::join(images.sizes(), "x")));
  }
  at::Tensor x = images.to(at::kFloat) / 127.5 - 1.0;
  if (x.size(2) != shape_.image_size || x.size(3) != shape_.image_size) {
    namespace F = torch::nn::functional;
    x = F::interpolate(x, F::InterpolateFuncOptions()
                              .size(std::vector<std::int64_t>{shape_.image_size, shape_.image_size})
                              .mode(torch::kBilinear)
                              .align_corners(false));
  }
  const at::Tensor features = torch::relu(penultimate_->forward(convolutions_->forward(x).flatten(1)));
  return {features, output_->forward(features)};
}

void write_classifier(const std::string& path, ImageClassifierImpl& classifier, const ClassifierFile& description) {
  data::TensorArchiveWriter writer(path);
  writer.write_group("parameters", models::parameter_map(classifier));
  writer.write_text_attribute("kind", kind_attribute);
  writer.write_int_attribute("channels", description.shape.channels);
  writer.write_int_attribute("image_size", description.shape.image_size);
  writer.write_int_attribute("classes", description.shape.classes);
  writer.write_text_attribute("test_accuracy", fmt::format("{}", description.test_accuracy));
  writer.write_text_attribute("trained_on", description.trained_on);
  writer.commit();
}

bool is_classifier_file(const std::string& path) {
  const std::vector<std::string> names = data::list_group(path, "/");
  if (std::find(names.begin(), names.end(), "parameters") == names.end()) return false;
  try {
    return data::read_root_text_attribute(path, "kind") == kind_attribute;
  } catch (const UserError&) {
    return false;
  }
}

ImageClassifier read_classifier(const std::string& path, ClassifierFile* description) {
  if (!is_classifier_file(path)) throw UserError(path + ": not a classifier written by `scorch train-classifier`");
  ClassifierFile file;
  file.shape = {data::read_root_int_attribute(path, "channels"), data::read_root_int_attribute(path, "image_size"),
                data::read_root_int_attribute(path, "classes")};
  file.test_accuracy = std::stod(data::read_root_text_attribute(path, "test_accuracy"));
  file.trained_on = data::read_root_text_attribute(path, "trained_on");
  ImageClassifier classifier(file.shape);
  models::load_parameters(*classifier, data::read_tensor_group(path, "parameters"), path + ": the parameters");
  classifier->eval();
  if (description) *description = file;
  return classifier;
}

}  // namespace scorch::evaluation
