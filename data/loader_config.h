#pragma once
// Config keys owned by data/ (data.*) and the loader options they give.
#include "common/config_fwd.h"
#include "data/sharded_loader.h"

namespace scorch::data {

void declare_loader_config(ConfigSchema& schema);

// Options for rank/world_size with the per-rank batch; `default_range` is the
// model's range for data.range = auto ([0, 1] for VE and NCSN models, [−1, 1] for VP/subVP).
LoaderOptions loader_options_from(const Config& config, int rank, int world_size, std::int64_t per_rank_batch,
                                  PixelRange default_range);

}  // namespace scorch::data
