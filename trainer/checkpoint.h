#pragma once
// Training checkpoints: one HDF5 file per checkpoint (docs/file-formats.md) with groups
// /model, /ema and /optimizer holding tensors by parameter name, and root
// attributes for the step, counters, data cursor, resolved config and the
// model's parameterisation. Files are written beside their final name, fsynced
// and renamed, then the `latest` pointer is replaced the same way, so a job
// killed at any moment leaves the previous checkpoint usable.
#include "data/sharded_loader.h"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace scorch::trainer {

struct CheckpointState {
  std::int64_t step = 0;
  std::int64_t ema_updates = 0;
  std::int64_t optimizer_steps = 0;
  data::LoaderCursor cursor;
  std::int64_t global_batch = 0;
  std::int64_t world_size = 1;
  std::string config_yaml;
  std::string model_name;
  std::string parameterisation;
};

struct Checkpoint {
  CheckpointState state;
  std::map<std::string, at::Tensor> model, ema;
  // Optimiser state by kind ("exp_avg", "exp_avg_sq"), stored as /optimizer/<kind>/<name>.
  std::map<std::string, std::map<std::string, at::Tensor>> optimizer;
};

void write_checkpoint(const std::string& path, const Checkpoint& checkpoint);
// Throws UserError when the file is missing, truncated, not a scorch
// checkpoint, or damaged: its tensors must hash to the content_hash it records.
Checkpoint read_checkpoint(const std::string& path);

class CheckpointDirectory {
 public:
  CheckpointDirectory(std::string directory, std::int64_t keep, std::int64_t archive_every);

  const std::string& directory() const { return directory_; }
  std::string path_for(std::int64_t step) const;
  // Writes the checkpoint, points `latest` at it and deletes old ones beyond
  // `keep` (archive steps are kept). Returns the file's path.
  std::string save(const Checkpoint& checkpoint);
  // The checkpoint `latest` names, if any.
  std::optional<std::string> latest() const;
  bool has_checkpoints() const;
  // The run reached train.steps: the file `finished` names its final
  // checkpoint, so that evaluators following the run (`scorch evaluate
  // --watch`) know when to stop. A run that starts or resumes clears it.
  void mark_finished(const std::string& final_checkpoint) const;
  void clear_finished() const;
  // The final checkpoint of a finished run.
  std::optional<std::string> finished() const;
  // Every checkpoint file in the directory, by increasing step.
  std::vector<std::string> files() const;
  // The same with each file's step.
  std::vector<std::pair<std::int64_t, std::string>> steps() const;
  // What `--resume auto` tries, in order: the checkpoint `latest` names, then
  // every other file by decreasing step.
  std::vector<std::string> resume_candidates() const;

 private:
  void prune() const;
  std::string directory_;
  std::int64_t keep_;
  std::int64_t archive_every_;
};

}  // namespace scorch::trainer
