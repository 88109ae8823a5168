#include "common/shard_plan.h"

#include "common/communicator.h"
#include "common/user_error.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

namespace scorch {

ShardPlan plan_shards(const std::string& directory, std::int64_t count, std::int64_t shard_size,
                      const ShardCheck& finished, Communicator& communicator) {
  if (count < 1) throw UserError(fmt::format("a sharded job needs at least one item (got {})", count));
  if (shard_size < 1) throw UserError(fmt::format("the shard size must be positive (got {})", shard_size));
  ShardPlan plan;
  const std::int64_t shards = (count + shard_size - 1) / shard_size;
  for (std::int64_t k = 0; k < shards; ++k) {
    const std::int64_t first = k * shard_size;
    const std::string path = directory.empty() ? "" : fmt::format("{}/shard-{:06d}.h5", directory, k);
    plan.all.push_back({k, {first, std::min(shard_size, count - first)}, path});
  }

  // Rank 0 alone looks at the files, so that every rank acts on one answer
  // even when a shard is being renamed into place while the ranks look.
  at::Tensor done = at::zeros({shards}, at::kInt);
  if (communicator.rank() == 0 && !directory.empty()) {
    namespace fs = std::filesystem;
    fs::create_directories(directory);
    std::set<std::string> kept;
    for (const Shard& shard : plan.all) {
      if (fs::exists(shard.path) && finished(shard.path)) {
        done[shard.number] = 1;
        kept.insert(fs::path(shard.path).filename().string());
      }
    }
    for (const fs::directory_entry& entry : fs::directory_iterator(directory)) {
      if (!kept.count(entry.path().filename().string())) fs::remove_all(entry.path());
    }
  }
  at::Tensor on_wire = done.to(communicator.device());
  communicator.broadcast(on_wire, 0);
  done = on_wire.cpu();

  std::int64_t dealt = 0;
  for (const Shard& shard : plan.all) {
    if (done[shard.number].item<int>() != 0) {
      plan.reused.push_back(shard);
      continue;
    }
    if (dealt++ % communicator.world_size() == communicator.rank()) plan.mine.push_back(shard);
  }
  plan.unfinished = dealt;
  return plan;
}

void wait_for_all_shards(const ShardPlan& plan, const ShardCheck& finished, double patience_s) {
  using Clock = std::chrono::steady_clock;
  std::vector<bool> seen(plan.all.size(), false);
  std::size_t missing = plan.all.size();
  auto last_progress = Clock::now();
  while (true) {
    const std::size_t before = missing;
    for (std::size_t k = 0; k < plan.all.size(); ++k) {
      const std::string& path = plan.all[k].path;
      if (seen[k]) continue;
      if (path.empty() || (std::filesystem::exists(path) && finished(path))) {
        seen[k] = true;
        --missing;
      }
    }
    if (missing == 0) return;
    if (missing < before) last_progress = Clock::now();
    const double idle = std::chrono::duration<double>(Clock::now() - last_progress).count();
    if (patience_s > 0 && idle > patience_s) {
      throw UserError(fmt::format("{} of {} shards were still missing after {:.0f} s without progress (did another "
                                  "rank stop?)",
                                  missing, plan.all.size(), idle));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

double shard_wait_patience(double longest_shard_s) {
  return longest_shard_s > 0 ? std::max(600.0, 4.0 * longest_shard_s) : 0.0;
}

std::vector<IndexBatch> batches_of(const IndexBatch& items, std::int64_t batch_size) {
  std::vector<IndexBatch> batches;
  for (const IndexBatch& batch : rank_batches(items.size, batch_size, 0, 1)) {
    batches.push_back({items.first + batch.first, batch.size});
  }
  return batches;
}

}  // namespace scorch
