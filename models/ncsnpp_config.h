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
// output by 1/σ and take [0, 1] inputs, VP/subVP models neither (docs/conventions.md §1).
NcsnppOptions ncsnpp_options_from(const Config& config, const std::vector<std::int64_t>& input_shape,
                                  bool variance_exploding);
// model.ncsnpp.scale_by_sigma, "auto" resolved as the reference does: out / σ for VE and σ-ladder models.
bool ncsnpp_scale_by_sigma(const Config& config, bool variance_exploding);

}  // namespace scorch::models
