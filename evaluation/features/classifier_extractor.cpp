#include "evaluation/features/classifier_extractor.h"

#include "data/content_hash.h"
#include "models/module_state.h"

#include <fmt/format.h>
#include <torch/torch.h>

namespace scorch::evaluation {
namespace {

// Two files with the same weights give the same identity, wherever they live.
std::string weights_identity(torch::nn::Module& module) {
  data::ContentHash hash;
  for (const auto& [name, tensor] : models::parameter_map(module)) {
    const at::Tensor values = tensor.to(at::kCPU, at::kFloat).contiguous();
    hash.update(name.data(), name.size());
    hash.update(values.data_ptr(), static_cast<std::size_t>(values.numel()) * sizeof(float));
  }
  return "classifier:" + hash.hex();
}

}  // namespace

ClassifierExtractor::ClassifierExtractor(const std::string& path, const at::Device& device)
    : classifier_(read_classifier(path, &description_)), device_(device) {
  identity_ = weights_identity(*classifier_);
  classifier_->to(device_);
}

ExtractedFeatures ClassifierExtractor::extract(const at::Tensor& images, const FeatureRequest& request) {
  torch::NoGradGuard no_grad;
  const ClassifierOutput out = classifier_->forward(images.to(device_));
  ExtractedFeatures result;
  if (request.features) result.features = out.features.cpu();
  if (request.log_probabilities) result.log_probabilities = torch::log_softmax(out.logits.to(at::kDouble), 1).cpu();
  return result;
}

}  // namespace scorch::evaluation
