#include "models/activation.h"

#include "common/user_error.h"

#include <ATen/ATen.h>

namespace scorch::models {

Activation parse_activation(const std::string& name) {
  if (name == "swish" || name == "silu") return Activation::swish;
  if (name == "elu") return Activation::elu;
  if (name == "relu") return Activation::relu;
  if (name == "lrelu") return Activation::leaky_relu;
  throw UserError("unknown nonlinearity '" + name + "' (expected swish, elu, relu or lrelu)");
}

at::Tensor activate(const at::Tensor& x, Activation activation) {
  switch (activation) {
    case Activation::swish: return at::silu(x);
    case Activation::elu: return at::elu(x);
    case Activation::relu: return at::relu(x);
    case Activation::leaky_relu: return at::leaky_relu(x, 0.2);
  }
  return x;
}

}  // namespace scorch::models
