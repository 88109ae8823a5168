#include "evaluation/features/pytorch_fid_extractor.h"

#include "common/user_error.h"
#include "data/sha256.h"
#include "data/torch_save_file.h"
#include "models/module_state.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <utility>

namespace scorch::evaluation {
namespace {

// Images per network call: a batch of 299×299 activations takes about 40 MB
// an image at its widest, so larger caller batches are split.
constexpr std::int64_t kImagesPerCall = 32;

std::map<std::string, at::Tensor> weights_of(const std::string& path) {
  const data::TorchSaveFile file = data::read_torch_save(path);
  std::map<std::string, at::Tensor> weights;
  for (auto& [name, tensor] : data::state_dict_tensors(file.root, path + ": the state dict")) {
    weights.emplace(name, tensor);
  }
  return weights;
}

}  // namespace

std::string hash_prefix_in_file_name(const std::string& path) {
  const std::string name = std::filesystem::path(path).filename().string();
  const std::size_t dash = name.rfind('-');
  if (dash == std::string::npos) return "";
  const std::size_t dot = name.find('.', dash);
  if (dot == std::string::npos) return "";
  const std::string digits = name.substr(dash + 1, dot - dash - 1);
  // At least the 8 digits torch.hub writes, so that a date ("-05.pth") is not taken for a hash.
  const bool hex = digits.size() >= 8 && std::all_of(digits.begin(), digits.end(), [](unsigned char c) {
    return std::isdigit(c) || (c >= 'a' && c <= 'f');
  });
  return hex ? digits : "";
}

PytorchFidExtractor::PytorchFidExtractor(const std::string& weights_path, const at::Device& device)
    : device_(device) {
  if (!std::filesystem::is_regular_file(weights_path)) {
    throw UserError(weights_path + ": no such weights file (pytorch-fid's pt_inception-2015-12-05-6726825d.pth)");
  }
  const std::string digest = data::sha256_of_file(weights_path);
  const std::string expected = hash_prefix_in_file_name(weights_path);
  if (!expected.empty() && digest.compare(0, expected.size(), expected) != 0) {
    throw UserError(fmt::format("{}: SHA-256 {}… does not begin with the {} its name carries (damaged or another file)",
                                weights_path, digest.substr(0, 16), expected));
  }
  models::load_state_dict(*network_, weights_of(weights_path), weights_path + ": the weights", {"num_batches_tracked"});
  identity_ = "pytorch-fid:sha256:" + digest;
  prepare();
}

PytorchFidExtractor::PytorchFidExtractor(FidInceptionV3 network, std::string identity, const at::Device& device,
                                         bool channels_last)
    : network_(std::move(network)), device_(device), identity_(std::move(identity)), channels_last_(channels_last) {
  prepare();
}

void PytorchFidExtractor::prepare() {
  network_->eval();
  network_->to(device_);
  if (!channels_last_) return;
  torch::NoGradGuard no_grad;
  for (auto& parameter : network_->parameters()) {
    if (parameter.dim() == 4) parameter.set_data(parameter.contiguous(at::MemoryFormat::ChannelsLast));
  }
}

ExtractedFeatures PytorchFidExtractor::extract(const at::Tensor& images, const FeatureRequest& request) {
  torch::NoGradGuard no_grad;
  std::vector<at::Tensor> features, log_probabilities;
  for (std::int64_t start = 0; start < images.size(0); start += kImagesPerCall) {
    const at::Tensor batch = images.narrow(0, start, std::min(kImagesPerCall, images.size(0) - start));
    at::Tensor input = fid_inception_input(batch.to(device_));
    if (channels_last_) input = input.contiguous(at::MemoryFormat::ChannelsLast);
    const at::Tensor pool3 = network_->pool3(input);
    if (request.features) features.push_back(pool3.cpu());
    // torch-fidelity takes the softmax in float64, of float32 logits.
    if (request.log_probabilities) {
      log_probabilities.push_back(torch::log_softmax(network_->unbiased_logits(pool3).to(at::kDouble), 1).cpu());
    }
  }
  ExtractedFeatures result;
  if (request.features) result.features = torch::cat(features);
  if (request.log_probabilities) result.log_probabilities = torch::cat(log_probabilities);
  return result;
}

}  // namespace scorch::evaluation
