#include "evaluation/features/feature_extractor.h"

#include "evaluation/features/classifier_extractor.h"
#include "evaluation/features/pytorch_fid_extractor.h"
#include "evaluation/features/torchscript_extractor.h"
#include "common/user_error.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <string_view>

namespace scorch::evaluation {
namespace {

// The spec prefix of the native pytorch-fid network, spelled only here.
constexpr std::string_view kPytorchFidPrefix = "pytorch-fid:";

bool starts_with_hdf5_signature(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  char signature[8] = {};
  file.read(signature, sizeof signature);
  return file && std::string(signature, 8) == std::string("\x89HDF\r\n\x1a\n", 8);
}

}  // namespace

ExtractorDimensions probe_extractor(FeatureExtractor& extractor, const std::vector<std::int64_t>& image_shape,
                                    const FeatureRequest& request) {
  std::vector<std::int64_t> batch_shape = {1};
  batch_shape.insert(batch_shape.end(), image_shape.begin(), image_shape.end());
  const ExtractedFeatures out = extractor.extract(at::zeros(batch_shape, at::kByte), request);
  return {request.features ? out.features.size(1) : 0, request.log_probabilities ? out.log_probabilities.size(1) : 0};
}

std::unique_ptr<FeatureExtractor> load_feature_extractor(const std::string& spec, const at::Device& device) {
  if (spec.rfind(kPytorchFidPrefix, 0) == 0) {
    return std::make_unique<PytorchFidExtractor>(spec.substr(kPytorchFidPrefix.size()), device);
  }
  if (!std::filesystem::is_regular_file(spec)) throw UserError(spec + ": no such feature extractor file");
  if (starts_with_hdf5_signature(spec)) return std::make_unique<ClassifierExtractor>(spec, device);
  return std::make_unique<TorchScriptExtractor>(spec, device);
}

std::string feature_extractor_spec_help() {
  return fmt::format(
      "{}WEIGHTS.pth (pytorch-fid's Inception-v3, native), a classifier .h5 from `scorch train-classifier`, or a "
      "TorchScript Inception port (.pt)",
      kPytorchFidPrefix);
}

}  // namespace scorch::evaluation
