#include "launch/checkpoint_watch.h"

#include "common/communicator.h"

#include <ATen/ATen.h>

#include <filesystem>

namespace scorch::launch {
namespace {

// The checkpoints directory of a run, or the directory itself when it holds checkpoints.
std::string watched_directory(const std::string& path) {
  if (std::filesystem::path(path).filename() == "checkpoints") return path;
  const trainer::CheckpointDirectory itself(path, 1, 0);
  if (!std::filesystem::is_directory(path + "/checkpoints") && itself.has_checkpoints()) return path;
  return path + "/checkpoints";
}

// Rank 0's int64 values on every rank; `values` is resized to rank 0's length.
void broadcast_from_rank0(std::vector<std::int64_t>& values, Communicator& communicator) {
  at::Tensor size = at::tensor({static_cast<std::int64_t>(values.size())}, at::kLong).to(communicator.device());
  communicator.broadcast(size, 0);
  at::Tensor content = at::zeros({size.cpu().item<std::int64_t>()}, at::kLong);
  if (communicator.rank() == 0) content.copy_(at::tensor(values, at::kLong));
  content = content.to(communicator.device());
  communicator.broadcast(content, 0);
  content = content.cpu();
  values.assign(content.data_ptr<std::int64_t>(), content.data_ptr<std::int64_t>() + content.numel());
}

}  // namespace

CheckpointWatch::CheckpointWatch(const std::string& run_or_checkpoints, Communicator& communicator)
    : directory_(watched_directory(run_or_checkpoints), 1, 0), communicator_(communicator) {}

CheckpointWatch::Poll CheckpointWatch::poll() {
  // [finished, new steps...]: the marker is read before the listing, so a
  // final checkpoint it names is already in the listing.
  std::vector<std::int64_t> answer;
  if (communicator_.rank() == 0) {
    const std::optional<std::string> final_checkpoint = directory_.finished();
    std::int64_t final_step = -1;
    answer.push_back(0);
    for (const auto& [step, path] : directory_.steps()) {
      if (final_checkpoint && std::filesystem::path(path).filename() == std::filesystem::path(*final_checkpoint).filename()) {
        final_step = step;
      }
      if (step > last_step_) answer.push_back(step);
    }
    const std::int64_t newest = answer.size() > 1 ? answer.back() : last_step_;
    answer[0] = final_step >= 0 && newest >= final_step ? 1 : 0;
  }
  broadcast_from_rank0(answer, communicator_);
  Poll poll;
  poll.finished = answer.at(0) != 0;
  for (std::size_t i = 1; i < answer.size(); ++i) {
    poll.fresh.push_back(directory_.path_for(answer[i]));
    last_step_ = answer[i];
  }
  return poll;
}

bool CheckpointWatch::still_there(const std::string& path) {
  return as_rank0_decides(communicator_.rank() == 0 && std::filesystem::exists(path));
}

bool CheckpointWatch::as_rank0_decides(bool value) {
  std::vector<std::int64_t> decision = {value ? 1 : 0};
  broadcast_from_rank0(decision, communicator_);
  return decision.at(0) != 0;
}

}  // namespace scorch::launch
