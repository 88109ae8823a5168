#include "trainer/checkpoint.h"

#include "common/durable_file.h"
#include "common/user_error.h"
#include "data/content_hash.h"
#include "data/tensor_archive.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <vector>

namespace scorch::trainer {
namespace {

constexpr std::int64_t kFormatVersion = 1;
constexpr const char* kKind = "scorch-checkpoint";

std::vector<std::pair<std::int64_t, std::filesystem::path>> checkpoint_files(const std::string& directory) {
  std::vector<std::pair<std::int64_t, std::filesystem::path>> files;
  if (!std::filesystem::is_directory(directory)) return files;
  static const std::regex pattern(R"(checkpoint_(\d+)\.h5)");
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    std::smatch match;
    const std::string name = entry.path().filename().string();
    if (std::regex_match(name, match, pattern)) files.emplace_back(std::stoll(match[1]), entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// FNV-1a over every tensor in the file's group order: group, name, dtype,
// shape and bytes. HDF5 checks no checksums on raw data, so without this a
// flipped byte in a weight loads and samples without any error.
std::string tensor_content_hash(const Checkpoint& checkpoint) {
  data::ContentHash hash;
  auto add = [&](const std::string& group, const std::map<std::string, at::Tensor>& tensors) {
    for (const auto& [name, tensor] : tensors) {
      const at::Tensor data = tensor.detach().cpu().contiguous();
      const std::string header = fmt::format("{}/{}:{}:{}", group, name, c10::toString(data.scalar_type()),
                                             fmt::join(data.sizes(), ","));
      hash.update(header.data(), header.size() + 1);  // with its terminating zero, so fields cannot run together
      hash.update(data.data_ptr(), data.numel() * data.element_size());
    }
  };
  add("model", checkpoint.model);
  add("ema", checkpoint.ema);
  for (const auto& [kind, tensors] : checkpoint.optimizer) add("optimizer/" + kind, tensors);
  return hash.hex();
}

}  // namespace

void write_checkpoint(const std::string& path, const Checkpoint& checkpoint) {
  data::TensorArchiveWriter writer(path);
  writer.write_group("model", checkpoint.model);
  writer.write_group("ema", checkpoint.ema);
  // The group exists even without optimiser state (a parameter-free model's step-0 checkpoint).
  writer.write_group("optimizer", {});
  for (const auto& [kind, tensors] : checkpoint.optimizer) writer.write_group("optimizer/" + kind, tensors);
  const CheckpointState& s = checkpoint.state;
  writer.write_text_attribute("kind", kKind);
  writer.write_int_attribute("format_version", kFormatVersion);
  writer.write_int_attribute("step", s.step);
  writer.write_int_attribute("ema_updates", s.ema_updates);
  writer.write_int_attribute("optimizer_steps", s.optimizer_steps);
  writer.write_int_attribute("cursor_epoch", s.cursor.epoch);
  writer.write_int_attribute("cursor_batch", s.cursor.batch);
  writer.write_int_attribute("global_batch", s.global_batch);
  writer.write_int_attribute("world_size", s.world_size);
  writer.write_text_attribute("config", s.config_yaml);
  writer.write_text_attribute("model_name", s.model_name);
  writer.write_text_attribute("parameterisation", s.parameterisation);
  writer.write_text_attribute("content_hash", tensor_content_hash(checkpoint));
  writer.commit();
}

Checkpoint read_checkpoint(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) throw UserError(path + ": no such checkpoint file");
  if (data::read_root_text_attribute(path, "kind") != kKind) throw UserError(path + ": not a scorch checkpoint");
  const std::int64_t version = data::read_root_int_attribute(path, "format_version");
  if (version != kFormatVersion) {
    throw UserError(fmt::format("{}: checkpoint format {} is not supported (this scorch reads {})", path, version,
                                kFormatVersion));
  }
  Checkpoint checkpoint;
  CheckpointState& s = checkpoint.state;
  s.step = data::read_root_int_attribute(path, "step");
  s.ema_updates = data::read_root_int_attribute(path, "ema_updates");
  s.optimizer_steps = data::read_root_int_attribute(path, "optimizer_steps");
  s.cursor = {data::read_root_int_attribute(path, "cursor_epoch"), data::read_root_int_attribute(path, "cursor_batch")};
  s.global_batch = data::read_root_int_attribute(path, "global_batch");
  s.world_size = data::read_root_int_attribute(path, "world_size");
  s.config_yaml = data::read_root_text_attribute(path, "config");
  s.model_name = data::read_root_text_attribute(path, "model_name");
  s.parameterisation = data::read_root_text_attribute(path, "parameterisation");
  checkpoint.model = data::read_tensor_group(path, "model");
  checkpoint.ema = data::read_tensor_group(path, "ema");
  for (const std::string& kind : data::list_group(path, "optimizer")) {
    checkpoint.optimizer[kind] = data::read_tensor_group(path, "optimizer/" + kind);
  }
  // Checkpoints written before the hash was recorded load unchecked.
  if (const auto recorded = data::find_root_text_attribute(path, "content_hash")) {
    const std::string found = tensor_content_hash(checkpoint);
    if (found != *recorded) {
      throw UserError(fmt::format("{}: damaged: its tensors hash to {}, and the file records {}", path, found, *recorded));
    }
  }
  return checkpoint;
}

CheckpointDirectory::CheckpointDirectory(std::string directory, std::int64_t keep, std::int64_t archive_every)
    : directory_(std::move(directory)), keep_(keep), archive_every_(archive_every) {}

std::string CheckpointDirectory::path_for(std::int64_t step) const {
  return fmt::format("{}/checkpoint_{:08d}.h5", directory_, step);
}

std::string CheckpointDirectory::save(const Checkpoint& checkpoint) {
  std::filesystem::create_directories(directory_);
  const std::string path = path_for(checkpoint.state.step);
  write_checkpoint(path, checkpoint);
  write_text_file_atomically(directory_ + "/latest", std::filesystem::path(path).filename().string() + "\n");
  prune();
  return path;
}

std::optional<std::string> CheckpointDirectory::latest() const {
  std::ifstream in(directory_ + "/latest");
  std::string name;
  if (!(in >> name)) return std::nullopt;
  return directory_ + "/" + name;
}

void CheckpointDirectory::mark_finished(const std::string& final_checkpoint) const {
  write_text_file_atomically(directory_ + "/finished", std::filesystem::path(final_checkpoint).filename().string() + "\n");
}

void CheckpointDirectory::clear_finished() const {
  std::error_code absent;
  std::filesystem::remove(directory_ + "/finished", absent);
}

std::optional<std::string> CheckpointDirectory::finished() const {
  std::ifstream in(directory_ + "/finished");
  std::string name;
  if (!(in >> name)) return std::nullopt;
  return directory_ + "/" + name;
}

std::vector<std::string> CheckpointDirectory::files() const {
  std::vector<std::string> paths;
  for (const auto& [step, path] : checkpoint_files(directory_)) paths.push_back(path.string());
  return paths;
}

std::vector<std::pair<std::int64_t, std::string>> CheckpointDirectory::steps() const {
  std::vector<std::pair<std::int64_t, std::string>> steps;
  for (const auto& [step, path] : checkpoint_files(directory_)) steps.emplace_back(step, path.string());
  return steps;
}

std::vector<std::string> CheckpointDirectory::resume_candidates() const {
  std::vector<std::string> candidates;
  if (auto named = latest()) candidates.push_back(*named);
  const auto all = checkpoint_files(directory_);
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    const std::string path = it->second.string();
    std::error_code missing;  // `latest` may name a file that is gone
    if (candidates.empty() || !std::filesystem::equivalent(path, candidates.front(), missing)) {
      candidates.push_back(path);
    }
  }
  return candidates;
}

bool CheckpointDirectory::has_checkpoints() const { return !checkpoint_files(directory_).empty() || latest(); }

void CheckpointDirectory::prune() const {
  std::vector<std::filesystem::path> recent;
  for (const auto& [step, path] : checkpoint_files(directory_)) {
    if (archive_every_ > 0 && step % archive_every_ == 0) continue;
    recent.push_back(path);
  }
  const std::size_t keep = static_cast<std::size_t>(keep_);
  for (std::size_t i = 0; i + keep < recent.size(); ++i) {
    std::error_code ignored;
    std::filesystem::remove(recent[i], ignored);
  }
}

}  // namespace scorch::trainer
