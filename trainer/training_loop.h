#pragma once
// The data-parallel training loop: every rank draws its shard of each global
// batch, computes per-example DSM losses (all randomness keyed by seed, step
// and the example's global position), back-propagates loss / global batch,
// and the gradients are summed over ranks, clipped by their global norm and
// applied by Adam; the EMA follows. Rank 0 writes metrics and checkpoints.
#include "trainer/checkpoint.h"
#include "trainer/training_config.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

namespace scorch {
class Communicator;
}
namespace scorch::data {
class ShardedLoader;
}
namespace scorch::models {
class ScoreModel;
}

namespace scorch::trainer {

class Objective;

struct TrainingRun {
  models::ScoreModel& model;
  const Objective& objective;
  data::ShardedLoader& loader;  // per-rank batch = global batch / (world size × micro-batches)
  Communicator& communicator;
  TrainingSettings settings;
  CheckpointDirectory& checkpoints;
  std::string config_yaml;   // stored in every checkpoint
  std::string metrics_path;  // JSONL, appended by rank 0
  const std::atomic<bool>* stop_requested = nullptr;  // set by SIGTERM/SIGUSR1
  // Called on rank 0 after each checkpoint is written, with its EMA weights
  // (preview grids); it must not call collectives.
  std::function<void(std::int64_t step, const std::map<std::string, at::Tensor>& ema)> after_checkpoint;
};

struct TrainingOutcome {
  std::int64_t final_step = 0;
  bool stopped_early = false;  // by a stop request; a checkpoint was written
  std::int64_t skipped_steps = 0;
};

// Trains from the checkpoint when given (bitwise continuation), else from the
// model's current weights, broadcast from rank 0.
TrainingOutcome train(TrainingRun& run, const std::optional<Checkpoint>& resume_from);

}  // namespace scorch::trainer
