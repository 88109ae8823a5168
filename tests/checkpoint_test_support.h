#pragma once
// Comparing training runs by their checkpoints, and waiting for a run to get somewhere.
#include "trainer/checkpoint.h"

#include <ATen/ATen.h>

#include <chrono>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>

namespace scorch::testing {

// The checkpoint `latest` names in a run directory.
inline trainer::Checkpoint final_checkpoint(const std::string& workdir) {
  trainer::CheckpointDirectory checkpoints(workdir + "/checkpoints", 1, 0);
  const auto latest = checkpoints.latest();
  if (!latest) throw std::runtime_error("no checkpoint in " + workdir);
  return trainer::read_checkpoint(*latest);
}

// Bit for bit.
inline bool identical(const std::map<std::string, at::Tensor>& a, const std::map<std::string, at::Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [name, tensor] : a) {
    if (!at::equal(tensor, b.at(name))) return false;
  }
  return true;
}

// Polls `condition` every `interval` seconds for up to `seconds`.
inline bool wait_until(const std::function<bool()>& condition, double seconds, double interval = 0.01) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::duration<double>(interval));
  }
  return false;
}

}  // namespace scorch::testing
