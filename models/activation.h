#pragma once
// Pointwise nonlinearities selectable by name in network configs.
#include <ATen/core/Tensor.h>

#include <string>

namespace scorch::models {

enum class Activation { swish, elu, relu, leaky_relu };

// "swish" (or "silu"), "elu", "relu" or "lrelu" (slope 0.2), the score_sde names.
Activation parse_activation(const std::string& name);
at::Tensor activate(const at::Tensor& x, Activation activation);

}  // namespace scorch::models
