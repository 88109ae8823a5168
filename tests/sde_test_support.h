#pragma once
// The three SDEs with the constants the sampler tests use (score_sde's β range;
// VE's σ range given by the caller, since the likelihood tests need a wider one).
#include "models/linear_beta_sde.h"
#include "models/ve_sde.h"

#include <memory>
#include <vector>

namespace scorch::testing {

inline std::vector<std::shared_ptr<const models::Sde>> all_sdes(double ve_sigma_max = 20.0) {
  return {std::make_shared<models::VeSde>(0.01, ve_sigma_max), std::make_shared<models::VpSde>(0.1, 20.0),
          std::make_shared<models::SubVpSde>(0.1, 20.0)};
}

}  // namespace scorch::testing
