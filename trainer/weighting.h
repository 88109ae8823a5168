#pragma once
// DSM weightings λ(t): the original σ_t² (thesis ch. 7) and the likelihood
// weighting g(t)² (ch. 9), under which DSM plus the prior term bounds −log p.
#include <ATen/core/Tensor.h>

#include <string>

namespace scorch::models {
class Sde;
}

namespace scorch::trainer {

enum class Weighting { original, likelihood };

Weighting parse_weighting(const std::string& name);
std::string to_string(Weighting weighting);

// λ(t) in float64.
at::Tensor weighting_value(const models::Sde& sde, Weighting weighting, const at::Tensor& t);

}  // namespace scorch::trainer
