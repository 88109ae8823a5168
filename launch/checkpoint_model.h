#pragma once
// A trained model back from its checkpoint: the training config it was saved
// with, its SDE (if any) and the network with EMA or raw weights. Shared by
// `scorch sample` and `scorch evaluate`.
#include "common/config.h"
#include "trainer/checkpoint.h"

#include <memory>
#include <string>
#include <vector>

namespace scorch::models {
class ScoreModel;
class Sde;
}  // namespace scorch::models

namespace scorch::launch {

struct CheckpointModel {
  std::string path;
  trainer::CheckpointState state;
  Config config;  // the training config
  std::shared_ptr<const models::Sde> sde;
  std::shared_ptr<models::ScoreModel> model;  // on the CPU, in eval mode
};

// `weights` is "ema" or "model".
CheckpointModel load_checkpoint_model(const std::string& path, const std::string& weights);

// A checkpoint file as is; a run (or checkpoints) directory gives its latest.
std::string resolve_checkpoint(const std::string& path);

// A run (or checkpoints) directory gives all its checkpoints by step; otherwise
// a comma-separated list of checkpoint files (or directories, each giving its latest).
std::vector<std::string> list_checkpoints(const std::string& directory_or_list);

}  // namespace scorch::launch
