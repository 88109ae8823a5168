#include "evaluation/features/torchscript_extractor.h"

#include "common/user_error.h"
#include "data/content_hash.h"

#include <fmt/format.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <fstream>
#include <vector>

namespace scorch::evaluation {
namespace {

std::string message_of(const std::exception& e) {
  if (const auto* error = dynamic_cast<const c10::Error*>(&e)) return error->what_without_backtrace();
  return e.what();
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// The JIT puts the TorchScript traceback first and the actual error last.
std::string last_line(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text.substr(text.rfind('\n') + 1);
}

std::string file_identity(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  data::ContentHash hash;
  std::vector<char> buffer(1 << 20);
  while (file) {
    file.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    hash.update(buffer.data(), static_cast<std::size_t>(file.gcount()));
  }
  return "torchscript:" + hash.hex();
}

torch::jit::Module load_module(const std::string& path, const at::Device& device) {
  try {
    torch::jit::Module module = torch::jit::load(path, device);
    module.eval();
    return module;
  } catch (const std::exception& e) {  // c10::Error, or the JIT's own exceptions
    throw UserError(fmt::format("{}: neither a classifier file nor a loadable TorchScript module ({})", path,
                                first_line(message_of(e))));
  }
}

bool rows_are_probabilities(const at::Tensor& outputs) {
  const bool in_unit_interval = ((outputs >= 0) & (outputs <= 1)).all().item<bool>();
  return in_unit_interval && (outputs.sum(1) - 1.0).abs().max().item<double>() < 1e-3;
}

}  // namespace

TorchScriptExtractor::TorchScriptExtractor(const std::string& path, const at::Device& device)
    : path_(path), module_(load_module(path, device)), device_(device), identity_(file_identity(path)) {}

at::Tensor TorchScriptExtractor::call(const at::Tensor& images, const std::string& flag) {
  torch::NoGradGuard no_grad;
  try {
    const c10::IValue out = module_.forward({images.to(device_)}, {{flag, true}});
    if (!out.isTensor()) throw UserError(fmt::format("{}: forward(images, {}=True) did not return a tensor", path_, flag));
    const at::Tensor result = out.toTensor();
    if (result.dim() != 2 || result.size(0) != images.size(0)) {
      throw UserError(fmt::format("{}: forward(images, {}=True) returned shape {}, expected [{}, D]", path_, flag,
                                  fmt::join(result.sizes(), "x"), images.size(0)));
    }
    return result.to(at::kCPU);
  } catch (const UserError&) {
    throw;
  } catch (const std::exception& e) {  // c10::Error, or the JIT's own exceptions
    throw UserError(fmt::format("{}: forward(images [{}] uint8, {}=True) failed: {}", path_,
                                fmt::join(images.sizes(), "x"), flag, last_line(message_of(e))));
  }
}

ExtractedFeatures TorchScriptExtractor::extract(const at::Tensor& images, const FeatureRequest& request) {
  ExtractedFeatures result;
  if (request.features) result.features = call(images, "return_features").to(at::kFloat);
  if (request.log_probabilities) {
    const at::Tensor outputs = call(images, "no_output_bias").to(at::kDouble);
    result.log_probabilities =
        rows_are_probabilities(outputs) ? outputs.log() : torch::log_softmax(outputs, 1);
  }
  return result;
}

}  // namespace scorch::evaluation
