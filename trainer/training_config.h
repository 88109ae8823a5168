#pragma once
// Config keys owned by the training loop (train.*, optim.*, ema.*,
// checkpoint.*, distributed.*) and the settings struct they resolve to.
#include "common/compute_settings.h"
#include "common/config_fwd.h"
#include "common/distributed_keys.h"
#include "trainer/adam.h"
#include "trainer/ema.h"

#include <cstdint>
#include <string>

namespace scorch::trainer {

struct TrainingSettings {
  std::uint64_t seed = 0;
  std::int64_t steps = 1000;
  std::int64_t global_batch = 128;
  std::int64_t micro_batches = 1;
  std::int64_t log_every = 50;
  std::int64_t max_bad_steps = 10;
  // bf16: autocast of the network's forward and backward; the weights, the
  // loss, its weighting and reduction, Adam and the EMA stay in fp32.
  Precision precision = Precision::fp32;
  double time_limit_seconds = 0.0;  // 0: none
  double lr = 2e-4;
  std::int64_t warmup = 5000;
  double grad_clip = 1.0;  // ≤ 0: off
  AdamSettings adam;
  EmaSettings ema;
  std::int64_t checkpoint_every = 1000;
  std::int64_t checkpoint_keep = 3;
  std::int64_t archive_every = 0;  // 0: none
  std::int64_t bucket_bytes = 25 << 20;
  DistributedSettings distributed;
};

void declare_training_config(ConfigSchema& schema);
TrainingSettings training_settings_from(const Config& config);

// The per-rank micro-batch size; UserError unless the global batch splits evenly.
std::int64_t per_rank_batch(const TrainingSettings& settings, std::int64_t world_size);

// Learning rate after `completed_steps` updates: linear warm-up from 0, as score_sde.
double learning_rate(const TrainingSettings& settings, std::int64_t completed_steps);

}  // namespace scorch::trainer
