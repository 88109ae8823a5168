#pragma once
// Config keys model.ncsnpp.* and their translation into NcsnppOptions.
#include "common/config_fwd.h"
#include "models/ncsnpp.h"

#include <cstdint>
#include <vector>

namespace scorch::models {

void declare_ncsnpp_config(ConfigSchema& schema);

// input_shape is [C, H, W] with H = W. `variance_exploding` (VE SDE or
// noise-level conditioning) resolves the "auto" choices: VE models scale the
// output by 1/σ and take [0, 1] inputs, VP/subVP models neither (CONVENTIONS §1).
NcsnppOptions ncsnpp_options_from(const Config& config, const std::vector<std::int64_t>& input_shape,
                                  bool variance_exploding);

}  // namespace scorch::models
