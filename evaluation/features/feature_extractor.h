#pragma once
// What FID and IS need from a network: features for the Gaussian fit and
// class log-probabilities for the Inception Score, from uint8 NCHW images.
// Three kinds exist: pytorch-fid's Inception-v3, native, with the weights
// file users bring; a TorchScript module with the interface of the standard
// Inception port (users bring the file); and classifiers trained by
// `scorch train-classifier`. load_feature_extractor tells them apart.
#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace scorch::evaluation {

struct FeatureRequest {
  bool features = true;
  bool log_probabilities = false;
  // Every image's features, not only their moments (KID, precision, recall).
  bool all_features = false;
};

struct ExtractedFeatures {
  at::Tensor features;           // float [B, D] on the CPU, when requested
  at::Tensor log_probabilities;  // float64 [B, K] on the CPU, when requested
};

class FeatureExtractor {
 public:
  virtual ~FeatureExtractor() = default;
  // Recorded in statistics files so FID refuses to compare across extractors.
  virtual std::string identity() const = 0;
  // images: uint8 [B, C, H, W] on the CPU.
  virtual ExtractedFeatures extract(const at::Tensor& images, const FeatureRequest& request) = 0;
};

struct ExtractorDimensions {
  std::int64_t features = 0;  // 0 when not requested
  std::int64_t classes = 0;   // 0 when not requested
};
// Runs one blank image of `image_shape` [C, H, W] through the extractor, which
// both reports the sizes of the requested outputs and checks that it accepts
// such images (a module without class outputs still serves FID alone).
ExtractorDimensions probe_extractor(FeatureExtractor& extractor, const std::vector<std::int64_t>& image_shape,
                                    const FeatureRequest& request = {true, true});

// An extractor spec, run on `device`: `pytorch-fid:WEIGHTS.pth` for the
// native Inception-v3 of pytorch-fid, or a file path, which is a classifier
// (HDF5 from `scorch train-classifier`) or else a TorchScript module.
std::unique_ptr<FeatureExtractor> load_feature_extractor(const std::string& spec, const at::Device& device);

// What a spec may be, for --help texts and config descriptions.
std::string feature_extractor_spec_help();

}  // namespace scorch::evaluation
