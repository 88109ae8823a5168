#include "evaluation/sampling/sample_shards.h"

#include "common/communicator.h"
#include "common/log.h"
#include "common/progress.h"
#include "common/shard_plan.h"
#include "common/user_error.h"
#include "data/shard_files.h"
#include "data/tensor_archive.h"
#include "evaluation/sampling/sample_file.h"

#include <ATen/ATen.h>
#include <chrono>
#include <fmt/format.h>

namespace scorch::evaluation {
namespace {

constexpr const char* kEvaluationsDataset = "function_evaluations";

}  // namespace

ShardedSamples generate_sample_shards(const BatchSampler& sampler, const SampleShardSettings& settings,
                                      const std::vector<std::int64_t>& example_shape, Communicator& communicator,
                                      const std::string& label) {
  if (settings.batch_size < 1) {
    throw UserError(fmt::format("the sampling batch size must be positive (got {})", settings.batch_size));
  }
  const auto current = [&](const std::string& path) { return data::is_current_shard(path, settings.fingerprint); };
  const ShardPlan plan = plan_shards(settings.directory, settings.count, settings.shard_size, current, communicator);
  std::int64_t reused_images = 0;
  for (const Shard& shard : plan.reused) reused_images += shard.items.size;
  if (communicator.rank() == 0) {
    log::info("{}: {} of {} shards reused from an earlier run, {} to draw", label, plan.reused.size(),
              plan.all.size(), plan.unfinished);
  }

  // Per-sample network calls, filled where this rank knows them and summed
  // over ranks: N scalars on the wire, never the samples themselves.
  at::Tensor evaluations = at::zeros({settings.count}, at::kDouble);
  if (communicator.rank() == 0) {
    for (const Shard& shard : plan.reused) {
      evaluations.narrow(0, shard.items.first, shard.items.size)
          .copy_(data::read_tensor(shard.path, kEvaluationsDataset).reshape({shard.items.size}));
    }
  }

  ProgressMeter progress(label, settings.count, "images");
  progress.start_at(reused_images);
  std::int64_t drawn_here = 0;
  double calls_here = 0.0;
  double longest_shard_s = 0.0;
  for (const Shard& shard : plan.mine) {
    const auto shard_start = std::chrono::steady_clock::now();
    std::vector<at::Tensor> pieces;
    for (const IndexBatch& batch : batches_of(shard.items, settings.batch_size)) {
      const SampleBatch drawn = sampler(batch.indices());
      pieces.push_back(drawn.samples.detach().to(at::kCPU, at::kFloat));
      const at::Tensor calls = drawn.function_evaluations.to(at::kCPU, at::kDouble).reshape({batch.size});
      evaluations.narrow(0, batch.first, batch.size).copy_(calls);
      calls_here += calls.sum().item<double>();
      drawn_here += batch.size;
      progress.set_detail(fmt::format("NFE {:.1f}/image", calls_here / static_cast<double>(drawn_here)));
      // Rank 0 sees its own share; scaled by the world size it tracks the whole job closely.
      progress.update(std::min(settings.count, reused_images + drawn_here * communicator.world_size()));
    }
    std::map<std::string, std::string> attributes = settings.attributes;
    attributes[data::kShardFingerprintAttribute] = settings.fingerprint;
    attributes[data::kShardFirstIndexAttribute] = std::to_string(shard.items.first);
    attributes[data::kShardTotalRowsAttribute] = std::to_string(settings.count);
    write_sample_file(shard.path, at::cat(pieces), settings.range, false, attributes, settings.quantization,
                      {{kEvaluationsDataset, evaluations.narrow(0, shard.items.first, shard.items.size)}});
    longest_shard_s = std::max(
        longest_shard_s, std::chrono::duration<double>(std::chrono::steady_clock::now() - shard_start).count());
  }
  // Every rank has written its shards before it joins this sum, so after it
  // the set is complete. Ranks with a shard less wait for the others' files
  // first, without the collectives' timeout.
  wait_for_all_shards(plan, current, shard_wait_patience(longest_shard_s));
  evaluations = summed_over_ranks(communicator, evaluations);

  ShardedSamples result;
  result.mean_function_evaluations = evaluations.sum().item<double>() / static_cast<double>(settings.count);
  result.shards = static_cast<std::int64_t>(plan.all.size());
  result.reused = static_cast<std::int64_t>(plan.reused.size());
  return result;
}

}  // namespace scorch::evaluation
