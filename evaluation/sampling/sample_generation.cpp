#include "evaluation/sampling/sample_generation.h"

#include "common/communicator.h"
#include "common/progress.h"
#include "common/rank_batches.h"
#include "common/user_error.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <algorithm>

namespace scorch::evaluation {
namespace {

// Images gathered per collective: bounds the extra memory to about 64 MiB of float32.
std::int64_t images_per_gather(std::int64_t example_numel) {
  return std::max<std::int64_t>(1, (64LL << 20) / (4 * std::max<std::int64_t>(1, example_numel)));
}

}  // namespace

GeneratedSamples generate_samples(const BatchSampler& sampler, std::int64_t count, std::int64_t batch_size,
                                  const std::vector<std::int64_t>& example_shape, Communicator& communicator,
                                  const std::string& label) {
  if (count < 1) throw UserError(fmt::format("the number of samples must be positive (got {})", count));
  if (batch_size < 1) throw UserError(fmt::format("the sampling batch size must be positive (got {})", batch_size));
  const int rank = communicator.rank(), world = communicator.world_size();
  std::int64_t example_numel = 1;
  for (std::int64_t n : example_shape) example_numel *= n;

  // This rank's images, flattened, with their first global index.
  std::vector<std::pair<std::int64_t, at::Tensor>> mine;
  double evaluations = 0.0;
  ProgressMeter progress(label, count, "images");
  std::int64_t done_here = 0;
  for (const IndexBatch& range : rank_batches(count, batch_size, rank, world)) {
    const std::int64_t first = range.first, size = range.size;
    const SampleBatch batch = sampler(range.indices());
    mine.emplace_back(first, batch.samples.detach().to(at::kCPU, at::kFloat).reshape({size, example_numel}));
    evaluations += batch.function_evaluations.sum().item<double>();
    done_here += size;
    progress.set_detail(fmt::format("NFE {:.1f}/image", evaluations / static_cast<double>(done_here)));
    // Rank 0 sees its own share; scaled by the world size it tracks the whole job closely.
    progress.update(std::min(count, done_here * world));
  }

  // Gather by summation: each rank writes its rows into zeros, so the sum over
  // ranks is exact. Chunks keep the buffers small for large N.
  const at::TensorOptions on_wire = at::TensorOptions().dtype(at::kFloat).device(communicator.device());
  const std::int64_t chunk = images_per_gather(example_numel);
  at::Tensor gathered = rank == 0 ? at::empty({count, example_numel}, at::kFloat) : at::Tensor();
  for (std::int64_t start = 0; start < count; start += chunk) {
    const std::int64_t end = std::min(count, start + chunk);
    at::Tensor buffer = at::zeros({end - start, example_numel}, at::kFloat);
    for (const auto& [first, rows] : mine) {
      const std::int64_t lo = std::max(first, start), hi = std::min(first + rows.size(0), end);
      if (lo < hi) buffer.slice(0, lo - start, hi - start).copy_(rows.slice(0, lo - first, hi - first));
    }
    buffer = buffer.to(on_wire);
    communicator.all_reduce_sum(buffer);
    if (rank == 0) gathered.slice(0, start, end).copy_(buffer.cpu());
  }
  const at::Tensor total = summed_over_ranks(communicator, at::tensor({evaluations}, at::kDouble));

  GeneratedSamples result;
  result.mean_function_evaluations = total.item<double>() / static_cast<double>(count);
  if (rank == 0) {
    std::vector<std::int64_t> shape = example_shape;
    shape.insert(shape.begin(), count);
    result.samples = gathered.reshape(shape);
  }
  return result;
}

}  // namespace scorch::evaluation
