#include "models/module_state.h"

#include "common/user_error.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

#include <algorithm>

namespace scorch::models {

namespace {

// At most three names per kind, so that a file of another network still gives a one-line error.
std::string first_names(const std::vector<std::string>& names) {
  constexpr std::size_t kShown = 3;
  if (names.size() <= kShown) return fmt::format("{}", fmt::join(names, ", "));
  return fmt::format("{} and {} more", fmt::join(names.begin(), names.begin() + kShown, ", "), names.size() - kShown);
}

std::string last_component(const std::string& name) { return name.substr(name.rfind('.') + 1); }

// Copies the tensors of `targets` that `tensors` names with the same shape;
// everything else is reported.
ParameterMismatch copy_named(const torch::OrderedDict<std::string, at::Tensor>& targets,
                             const std::map<std::string, at::Tensor>& tensors,
                             const std::vector<std::string>& optional) {
  ParameterMismatch mismatch;
  torch::NoGradGuard no_grad;
  for (const auto& item : targets) {
    const auto found = tensors.find(item.key());
    if (found == tensors.end()) {
      if (std::find(optional.begin(), optional.end(), last_component(item.key())) == optional.end()) {
        mismatch.missing.push_back(item.key());
      }
    } else if (found->second.sizes() != item.value().sizes()) {
      mismatch.wrong_shape.push_back(fmt::format("{} ([{}] where the model has [{}])", item.key(),
                                                 fmt::join(found->second.sizes(), ", "),
                                                 fmt::join(item.value().sizes(), ", ")));
    } else {
      item.value().copy_(found->second);
    }
  }
  for (const auto& [name, tensor] : tensors) {
    if (targets.find(name) == nullptr) mismatch.unexpected.push_back(name);
  }
  return mismatch;
}

}  // namespace

std::string ParameterMismatch::describe() const {
  std::vector<std::string> parts;
  if (!missing.empty()) parts.push_back(fmt::format("missing {}", first_names(missing)));
  if (!unexpected.empty()) parts.push_back(fmt::format("unexpected {}", first_names(unexpected)));
  if (!wrong_shape.empty()) parts.push_back(fmt::format("wrong shape {}", first_names(wrong_shape)));
  return fmt::format("{}", fmt::join(parts, "; "));
}

std::map<std::string, at::Tensor> parameter_map(const torch::nn::Module& module) {
  std::map<std::string, at::Tensor> tensors;
  for (const auto& item : module.named_parameters()) tensors.emplace(item.key(), item.value().detach());
  return tensors;
}

ParameterMismatch copy_parameters(torch::nn::Module& module, const std::map<std::string, at::Tensor>& tensors) {
  return copy_named(module.named_parameters(/*recurse=*/true), tensors, {});
}

void load_parameters(torch::nn::Module& module, const std::map<std::string, at::Tensor>& tensors,
                     const std::string& source) {
  const ParameterMismatch mismatch = copy_parameters(module, tensors);
  if (!mismatch.empty()) throw UserError(source + " do not fit the model: " + mismatch.describe());
}

}  // namespace scorch::models

namespace scorch::models {

void load_state_dict(torch::nn::Module& module, const std::map<std::string, at::Tensor>& tensors,
                     const std::string& source, const std::vector<std::string>& optional_buffers) {
  torch::OrderedDict<std::string, at::Tensor> state = module.named_parameters(/*recurse=*/true);
  for (const auto& item : module.named_buffers(/*recurse=*/true)) state.insert(item.key(), item.value());
  const ParameterMismatch mismatch = copy_named(state, tensors, optional_buffers);
  if (!mismatch.empty()) throw UserError(source + " do not fit the model: " + mismatch.describe());
}

}  // namespace scorch::models
