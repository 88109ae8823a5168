#pragma once
// Config keys owned by data/ (data.*) and the loader options they give.
#include "common/config_fwd.h"
#include "data/sharded_loader.h"

namespace scorch::data {

void declare_loader_config(ConfigSchema& schema);

// The pixel range the model sees: data.range, where auto means [0, 1] for VE
// and NCSN models and [−1, 1] for VP/subVP and DLPM (it reads objective.kind and sde.name).
PixelRange model_pixel_range(const Config& config);

// Options for rank/world_size with the per-rank batch. For a data.synthetic
// toy the caller fills in options.points.
LoaderOptions loader_options_from(const Config& config, int rank, int world_size, std::int64_t per_rank_batch);

}  // namespace scorch::data
