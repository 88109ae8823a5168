#pragma once
// A trained model back from its checkpoint: the training config it was saved
// with, its diffusion process and the network with EMA or raw weights, and the
// pixel range of its data. Shared by `scorch sample` and `scorch evaluate`.
#include "evaluation/evaluation_pipeline.h"
#include "trainer/checkpoint.h"

#include <memory>
#include <string>
#include <vector>

namespace scorch::launch {

// The trained model with the checkpoint's full state (optimiser step, EMA, cursor).
struct CheckpointModel : evaluation::TrainedModel {
  trainer::CheckpointState state;
};

// `weights` is "ema" or "model".
CheckpointModel load_checkpoint_model(const std::string& path, const std::string& weights);

// A checkpoint file as is; a run (or checkpoints) directory gives its latest.
std::string resolve_checkpoint(const std::string& path);

// A run (or checkpoints) directory gives all its checkpoints by step; otherwise
// a comma-separated list of checkpoint files (or directories, each giving its latest).
std::vector<std::string> list_checkpoints(const std::string& directory_or_list);

}  // namespace scorch::launch
