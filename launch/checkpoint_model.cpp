#include "launch/checkpoint_model.h"

#include "common/text_list.h"
#include "common/user_error.h"
#include "launch/config_schema.h"
#include "data/loader_config.h"
#include "models/module_state.h"
#include "models/score_model.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <filesystem>

namespace scorch::launch {
namespace {

// The checkpoints directory of a run directory, or the directory itself.
std::optional<trainer::CheckpointDirectory> checkpoint_directory(const std::string& path) {
  for (const std::string& directory : {path + "/checkpoints", path}) {
    trainer::CheckpointDirectory candidate(directory, 1, 0);
    if (candidate.has_checkpoints()) return candidate;
  }
  return std::nullopt;
}

// The non-throwing form: a comma-separated list of 100 checkpoints is longer
// than a file name may be, and the throwing one reported that as an internal
// error before the list was ever split.
bool is_directory_path(const std::string& path) {
  std::error_code unreadable;
  return std::filesystem::is_directory(path, unreadable);
}

}  // namespace

CheckpointModel load_checkpoint_model(const std::string& path, const std::string& weights) {
  trainer::Checkpoint checkpoint = trainer::read_checkpoint(path);
  Config config = Config::load_string(full_schema(), checkpoint.state.config_yaml, {}, path + " (config)");
  models::ModelBundle bundle = models::make_model_bundle(config);
  const auto& tensors = weights == "ema" ? checkpoint.ema : checkpoint.model;
  models::load_parameters(*bundle.model, tensors, fmt::format("{}: the {} weights", path, weights));
  bundle.model->eval();
  const data::PixelRange range = data::model_pixel_range(config, bundle.process.centered_data());
  const std::int64_t step = checkpoint.state.step;
  return {{path, step, std::move(config), std::move(bundle), range}, checkpoint.state};
}

std::string resolve_checkpoint(const std::string& path) {
  if (!is_directory_path(path)) return path;
  if (const auto directory = checkpoint_directory(path)) {
    if (auto latest = directory->latest()) return *latest;
  }
  throw UserError(path + ": a directory without checkpoints (expected a run directory or a checkpoint file)");
}

std::vector<std::string> list_checkpoints(const std::string& directory_or_list) {
  if (is_directory_path(directory_or_list)) {
    const auto directory = checkpoint_directory(directory_or_list);
    if (!directory || directory->files().empty()) {
      throw UserError(directory_or_list + ": a directory without checkpoint_*.h5 files");
    }
    return directory->files();
  }
  std::vector<std::string> paths;
  for (const std::string& item : split_comma_list(directory_or_list)) paths.push_back(resolve_checkpoint(item));
  if (paths.empty()) throw UserError("no checkpoints given (a run directory or a comma-separated list of files)");
  return paths;
}

}  // namespace scorch::launch
