#include "data/loader_config.h"

#include "common/config.h"
#include "common/user_error.h"

#include <cmath>

namespace scorch::data {

void declare_loader_config(ConfigSchema& schema) {
  using T = ConfigType;
  schema.add({"data.train", T::string, "", "training dataset (HDF5 from `scorch data convert`)"});
  schema.add({"data.synthetic", T::choice, "none",
              "a built-in 2-D toy instead of data.train: two_modes (10:1 mixture), grid (3×3 imbalanced mixture) or "
              "alpha_stable_cloud", {"none", "two_modes", "grid", "alpha_stable_cloud"}});
  schema.add({"data.synthetic_count", T::integer, "0", "toy: points (0: the paper's 11000, 32000 or 20000)", {}, 0.0});
  schema.add({"data.synthetic_scale", T::number, "0",
              "toy: component std of the mixtures or the cloud's stable scale (0: √0.2, 0.1 or 0.05)", {}, 0.0});
  schema.add({"data.synthetic_alpha", T::number, "1.7", "alpha_stable_cloud: the stable index α", {}, 0.0, true, 2.0});
  schema.add({"data.range", T::choice, "auto", "pixel range the model sees: auto (VE/NCSN unit, VP/subVP/DLPM symmetric), "
              "unit [0, 1] or symmetric [-1, 1]", {"auto", "unit", "symmetric"}});
  schema.add({"data.random_flip", T::boolean, "true", "random horizontal flips (per example, seeded)"});
  schema.add({"data.loader", T::choice, "auto", "auto, memory (whole dataset in RAM) or streaming (prefetch thread)",
              {"auto", "memory", "streaming"}});
  schema.add({"data.memory_budget_gb", T::number, "4", "auto loader: hold the dataset in memory below this size",
              {}, 0.0});
  schema.add({"data.prefetch", T::integer, "4", "streaming loader: batches read ahead", {}, 1.0});
  schema.add({"data.verify", T::boolean, "false",
              "check the dataset's content hash when it is opened (one extra pass over the file)"});
  // How examples are read does not change which examples a step sees.
  schema.allow_change_on_resume({"data.loader", "data.memory_budget_gb", "data.prefetch", "data.verify"});
}

PixelRange model_pixel_range(const Config& config, bool centered_by_default) {
  const std::string& range = config.string("data.range");
  if (range != "auto") return parse_pixel_range(range);
  return centered_by_default ? PixelRange::symmetric : PixelRange::unit;
}

LoaderOptions loader_options_from(const Config& config, PixelRange range, int rank, int world_size,
                                  std::int64_t per_rank_batch) {
  LoaderOptions options;
  options.path = config.string("data.train");
  const bool synthetic = config.string("data.synthetic") != "none";
  if (synthetic && !options.path.empty()) throw UserError("set data.train or data.synthetic, not both");
  if (!synthetic && options.path.empty()) {
    throw UserError("data.train is not set: give the training dataset (an HDF5 file) or a data.synthetic toy");
  }
  options.rank = rank;
  options.world_size = world_size;
  options.batch_size = per_rank_batch;
  options.shuffle = true;
  options.drop_last = true;
  options.seed = static_cast<std::uint64_t>(config.integer("seed"));
  options.range = range;
  options.random_flip = config.boolean("data.random_flip");
  options.mode = parse_loader_mode(config.string("data.loader"));
  options.memory_budget_bytes = static_cast<std::int64_t>(std::llround(config.number("data.memory_budget_gb") * (1 << 30)));
  options.prefetch_batches = static_cast<int>(config.integer("data.prefetch"));
  options.verify = config.boolean("data.verify");
  return options;
}

}  // namespace scorch::data
