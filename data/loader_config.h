#pragma once
// Config keys owned by data/ (data.*) and the loader options they give.
#include "common/config_fwd.h"
#include "data/sharded_loader.h"

namespace scorch::data {

void declare_loader_config(ConfigSchema& schema);

// The pixel range the model sees: data.range, where auto takes the diffusion
// process's reference range: [−1, 1] when `centered_by_default` (VP/subVP and
// DLPM), [0, 1] otherwise (VE and NCSN); see DiffusionProcess::centered_data.
PixelRange model_pixel_range(const Config& config, bool centered_by_default);

// Options for rank/world_size with the per-rank batch, the model seeing `range`.
// For a data.synthetic toy the caller fills in options.points.
LoaderOptions loader_options_from(const Config& config, PixelRange range, int rank, int world_size,
                                  std::int64_t per_rank_batch);

}  // namespace scorch::data
