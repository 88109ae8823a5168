#include "evaluation/likelihood/likelihood_evaluation.h"

#include "common/communicator.h"
#include "common/progress.h"
#include "common/random_stream.h"
#include "common/user_error.h"
#include "data/dataset_file.h"
#include "evaluation/likelihood/bits_per_dim.h"
#include "common/rank_batches.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <cmath>

namespace scorch::evaluation {
namespace {

// Per metric: Σ bpd_i, Σ bpd_i² over images (bpd_i averaged over repeats).
struct Sums {
  at::Tensor values = at::zeros({2}, at::kDouble);
  void add(const at::Tensor& per_image) {
    values[0] += per_image.sum();
    values[1] += per_image.square().sum();
  }
  BitsPerDimSummary summary(double images) const {
    const double mean = values[0].item<double>() / images;
    const double variance = std::max(0.0, values[1].item<double>() / images - mean * mean) * images / std::max(1.0, images - 1);
    return {mean, 1.96 * std::sqrt(variance / images)};
  }
};

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

  Sums nll_sums, bound_sums;
  double evaluations = 0.0;
  ProgressMeter progress("likelihood " + data_path, count * settings.repeats, "solves");
  std::int64_t done = 0;
  for (const IndexBatch& batch :
       rank_batches(count, settings.batch_size, communicator.rank(), communicator.world_size())) {
    const std::int64_t size = batch.size;
    const std::vector<std::int64_t> indices = batch.indices();
    const at::Tensor pixels = file.read_images(batch.first, size);
    at::Tensor nll_bpd = at::zeros({size}, at::kDouble), bound_bpd = at::zeros({size}, at::kDouble);
    for (std::int64_t repeat = 0; repeat < settings.repeats; ++repeat) {
      const RandomKey key{settings.seed, RandomPurpose::dequantization, static_cast<std::uint64_t>(repeat)};
      const at::Tensor uniform = draw_per_example(key, indices, [&](at::Generator& g) {
        return at::rand(example_shape, g, at::kDouble);
      });
      const at::Tensor x = data::dequantize(pixels, uniform, range).to(device, at::kDouble);
      if (settings.nll) {
        const at::Tensor probes = divergence_probes(settings.ode.divergence, settings.seed, repeat, indices, example_shape);
        const OdeLogLikelihood result = ode_log_likelihood(sde, score, x, probes, settings.ode);
        nll_bpd += bits_per_dim(result.log_likelihood.cpu(), dim, range);
        evaluations += result.function_evaluations.sum().item<double>();
      }
      if (settings.bound) {
        const DsmBoundTerms terms = dsm_bound(sde, score, x, settings.dsm, settings.seed, repeat, indices);
        bound_bpd += bits_per_dim(-terms.total().cpu(), dim, range);
      }
      done += size;
      progress.update(std::min(count * settings.repeats, done * communicator.world_size()));
    }
    nll_sums.add(nll_bpd / static_cast<double>(settings.repeats));
    bound_sums.add(bound_bpd / static_cast<double>(settings.repeats));
  }

  const at::Tensor totals = summed_over_ranks(
      communicator, at::cat({nll_sums.values, bound_sums.values, at::tensor({evaluations}, at::kDouble)}));
  nll_sums.values = totals.slice(0, 0, 2);
  bound_sums.values = totals.slice(0, 2, 4);
  LikelihoodEvaluation result;
  result.images = count;
  if (settings.nll) {
    result.nll = nll_sums.summary(static_cast<double>(count));
    result.mean_function_evaluations = totals[4].item<double>() / static_cast<double>(count * settings.repeats);
  }
  if (settings.bound) result.bound = bound_sums.summary(static_cast<double>(count));
  return result;
}

}  // namespace scorch::evaluation
