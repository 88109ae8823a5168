#pragma once
// Copying named tensors into a module's parameters, with an account of what
// did not match, so checkpoint and fixture loading can fail with a clear list.
#include <ATen/core/Tensor.h>

#include <map>
#include <string>
#include <vector>

namespace torch::nn {
class Module;
}

namespace scorch::models {

struct ParameterMismatch {
  std::vector<std::string> missing;     // parameters with no tensor of that name
  std::vector<std::string> unexpected;  // tensors naming no parameter
  std::vector<std::string> wrong_shape;
  bool empty() const { return missing.empty() && unexpected.empty() && wrong_shape.empty(); }
  std::string describe() const;
};

// The module's parameters by name, detached (they share storage with the module).
std::map<std::string, at::Tensor> parameter_map(const torch::nn::Module& module);

// Copies every tensor whose name and shape match a parameter (converted to the
// parameter's dtype and device); reports the rest without copying them.
ParameterMismatch copy_parameters(torch::nn::Module& module, const std::map<std::string, at::Tensor>& tensors);

// copy_parameters for weights that must fit exactly: UserError
// "<source> do not fit the model: <mismatch>" otherwise.
void load_parameters(torch::nn::Module& module, const std::map<std::string, at::Tensor>& tensors,
                     const std::string& source);

// load_parameters over PyTorch's whole state dict: parameters and buffers
// (batch-norm statistics). Buffers whose last name component is in
// `optional_buffers` may be absent (num_batches_tracked, which files written
// before PyTorch 0.4.1 lack and evaluation never reads).
void load_state_dict(torch::nn::Module& module, const std::map<std::string, at::Tensor>& tensors,
                     const std::string& source, const std::vector<std::string>& optional_buffers = {});

}  // namespace scorch::models
