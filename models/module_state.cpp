#include "models/module_state.h"

#include "common/user_error.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

namespace scorch::models {

std::string ParameterMismatch::describe() const {
  std::vector<std::string> parts;
  if (!missing.empty()) parts.push_back(fmt::format("missing {}", fmt::join(missing, ", ")));
  if (!unexpected.empty()) parts.push_back(fmt::format("unexpected {}", fmt::join(unexpected, ", ")));
  if (!wrong_shape.empty()) parts.push_back(fmt::format("wrong shape {}", fmt::join(wrong_shape, ", ")));
  return fmt::format("{}", fmt::join(parts, "; "));
}

std::map<std::string, at::Tensor> parameter_map(const torch::nn::Module& module) {
  std::map<std::string, at::Tensor> tensors;
  for (const auto& item : module.named_parameters()) tensors.emplace(item.key(), item.value().detach());
  return tensors;
}

ParameterMismatch copy_parameters(torch::nn::Module& module, const std::map<std::string, at::Tensor>& tensors) {
  ParameterMismatch mismatch;
  const auto parameters = module.named_parameters(/*recurse=*/true);
  torch::NoGradGuard no_grad;
  for (const auto& item : parameters) {
    const auto found = tensors.find(item.key());
    if (found == tensors.end()) {
      mismatch.missing.push_back(item.key());
    } else if (found->second.sizes() != item.value().sizes()) {
      mismatch.wrong_shape.push_back(item.key());
    } else {
      item.value().copy_(found->second);
    }
  }
  for (const auto& [name, tensor] : tensors) {
    if (parameters.find(name) == nullptr) mismatch.unexpected.push_back(name);
  }
  return mismatch;
}

void load_parameters(torch::nn::Module& module, const std::map<std::string, at::Tensor>& tensors,
                     const std::string& source) {
  const ParameterMismatch mismatch = copy_parameters(module, tensors);
  if (!mismatch.empty()) throw UserError(source + " do not fit the model: " + mismatch.describe());
}

}  // namespace scorch::models
