#include "evaluation/likelihood/likelihood_evaluation.h"

#include "common/communicator.h"
#include "common/log.h"
#include "common/progress.h"
#include "common/random_stream.h"
#include "common/shard_plan.h"
#include "common/user_error.h"
#include "data/dataset_file.h"
#include "data/shard_files.h"
#include "data/tensor_archive.h"
#include "evaluation/likelihood/bits_per_dim.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <array>
#include <chrono>
#include <cmath>

namespace scorch::evaluation {
namespace {

// The per-image results, one row each, as the shard files name them.
enum Column : std::int64_t { nll_column, bound_column, evaluations_column, column_count };
constexpr std::array<const char*, column_count> kColumnNames = {"nll_bpd", "bound_bpd", "function_evaluations"};

// The mean over images, with the half-width of the normal 95% interval.
BitsPerDimSummary summarise(const at::Tensor& per_image) {
  const double images = static_cast<double>(per_image.numel());
  const double mean = per_image.mean().item<double>();
  const double variance = images > 1 ? per_image.var(/*unbiased=*/true).item<double>() : 0.0;
  return {mean, 1.96 * std::sqrt(variance / images)};
}

}  // namespace

LikelihoodEvaluation evaluate_likelihood(const std::string& data_path, const models::Sde& sde,
                                         const models::ScoreFunction& score, data::PixelRange range,
                                         const LikelihoodEvaluationSettings& settings, Communicator& communicator,
                                         const at::Device& device) {
  if (settings.repeats < 1) throw UserError("likelihood.repeats must be at least 1");
  if (settings.batch_size < 1) throw UserError("likelihood.batch_size must be at least 1");
  data::DatasetFile file(data_path);
  const data::DatasetShape shape = file.shape();
  if (settings.count > shape.count) {
    throw UserError(fmt::format("{}: likelihood.count {} exceeds the {} images in the file", data_path, settings.count,
                                shape.count));
  }
  const std::int64_t count = settings.count > 0 ? settings.count : shape.count;
  const std::vector<std::int64_t> example_shape = {shape.channels, shape.height, shape.width};
  const std::int64_t dim = shape.image_bytes();

  const auto current = [&](const std::string& path) { return data::is_current_shard(path, settings.fingerprint); };
  const ShardPlan plan = plan_shards(settings.shard_directory, count, settings.shard_size, current, communicator);
  if (!settings.shard_directory.empty() && communicator.rank() == 0) {
    log::info("likelihood: {} of {} shards reused from an earlier run, {} to compute", plan.reused.size(), plan.all.size(),
              plan.unfinished);
  }
  // Filled where this rank knows the rows, then summed over ranks.
  at::Tensor per_image = at::zeros({column_count, count}, at::kDouble);
  std::int64_t reused_images = 0;
  for (const Shard& shard : plan.reused) {
    reused_images += shard.items.size;
    if (communicator.rank() != 0) continue;
    for (std::int64_t column = 0; column < column_count; ++column) {
      per_image[column].narrow(0, shard.items.first, shard.items.size).copy_(
          data::read_tensor(shard.path, kColumnNames[column]).reshape({shard.items.size}));
    }
  }

  ProgressMeter progress("likelihood " + data_path, count * settings.repeats, "solves");
  progress.start_at(reused_images * settings.repeats);
  std::int64_t done = 0;
  double longest_shard_s = 0.0;
  for (const Shard& shard : plan.mine) {
    const auto shard_start = std::chrono::steady_clock::now();
    for (const IndexBatch& batch : batches_of(shard.items, settings.batch_size)) {
      const std::int64_t size = batch.size;
      const std::vector<std::int64_t> indices = batch.indices();
      const at::Tensor pixels = file.read_images(batch.first, size);
      at::Tensor rows = per_image.narrow(1, batch.first, size);
      for (std::int64_t repeat = 0; repeat < settings.repeats; ++repeat) {
        const RandomKey key{settings.seed, RandomPurpose::dequantization, static_cast<std::uint64_t>(repeat)};
        const at::Tensor uniform = draw_per_example(key, indices, [&](at::Generator& g) {
          return at::rand(example_shape, g, at::kDouble);
        });
        const at::Tensor x = data::dequantize(pixels, uniform, range).to(device, at::kDouble);
        if (settings.nll) {
          const at::Tensor probes = divergence_probes(settings.ode.divergence, settings.seed, repeat, indices, example_shape);
          const OdeLogLikelihood result = ode_log_likelihood(sde, score, x, probes, settings.ode);
          rows[nll_column] += bits_per_dim(result.log_likelihood.cpu(), dim, range);
          rows[evaluations_column] += result.function_evaluations.cpu().to(at::kDouble);
        }
        if (settings.bound) {
          const DsmBoundTerms terms = dsm_bound(sde, score, x, settings.dsm, settings.seed, repeat, indices);
          rows[bound_column] += bits_per_dim(-terms.total().cpu(), dim, range);
        }
        done += size;
        progress.update(std::min(count * settings.repeats, reused_images * settings.repeats + done * communicator.world_size()));
      }
      // An image's bits/dim is its mean over repeats; its NFE stays the sum over its solves.
      rows.narrow(0, nll_column, 2) /= static_cast<double>(settings.repeats);
    }
    if (settings.shard_directory.empty()) continue;
    data::TensorArchiveWriter writer(shard.path);
    for (std::int64_t column = 0; column < column_count; ++column) {
      writer.write_tensor(kColumnNames[column], per_image[column].narrow(0, shard.items.first, shard.items.size).contiguous());
    }
    writer.write_text_attribute(data::kShardFingerprintAttribute, settings.fingerprint);
    writer.write_text_attribute(data::kShardFirstIndexAttribute, std::to_string(shard.items.first));
    writer.commit();
    longest_shard_s = std::max(
        longest_shard_s, std::chrono::duration<double>(std::chrono::steady_clock::now() - shard_start).count());
  }
  // Every rank has written its shards before it joins this sum; ranks with a
  // shard less wait for the others' files first, without the collectives' timeout.
  if (!settings.shard_directory.empty()) wait_for_all_shards(plan, current, shard_wait_patience(longest_shard_s));
  per_image = summed_over_ranks(communicator, per_image);

  LikelihoodEvaluation result;
  result.images = count;
  result.shards = static_cast<std::int64_t>(plan.all.size());
  result.reused = static_cast<std::int64_t>(plan.reused.size());
  if (settings.nll) {
    result.nll = summarise(per_image[nll_column]);
    result.mean_function_evaluations =
        per_image[evaluations_column].sum().item<double>() / static_cast<double>(count * settings.repeats);
  }
  if (settings.bound) result.bound = summarise(per_image[bound_column]);
  return result;
}

}  // namespace scorch::evaluation
