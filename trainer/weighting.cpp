#include "trainer/weighting.h"

#include "common/user_error.h"
#include "models/sde.h"

namespace scorch::trainer {

Weighting parse_weighting(const std::string& name) {
  if (name == "original") return Weighting::original;
  if (name == "likelihood") return Weighting::likelihood;
  throw UserError("unknown weighting '" + name + "' (expected original or likelihood)");
}

std::string to_string(Weighting weighting) { return weighting == Weighting::original ? "original" : "likelihood"; }

at::Tensor weighting_value(const models::Sde& sde, Weighting weighting, const at::Tensor& t) {
  return weighting == Weighting::original ? sde.marginal_variance(t) : sde.diffusion_squared(t);
}

}  // namespace scorch::trainer
