#include "evaluation/toy/kmeans.h"

#include "common/user_error.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

namespace scorch::evaluation {
namespace {

// k-means++: each next centre is a point drawn with probability ∝ its squared
// distance to the nearest centre so far.
at::Tensor seed_centres(const at::Tensor& points, std::int64_t clusters, at::Generator& generator) {
  const std::int64_t n = points.size(0);
  std::vector<std::int64_t> chosen{at::randint(n, {1}, generator, at::kLong).item<std::int64_t>()};
  at::Tensor nearest = (points - points[chosen[0]]).square().sum(1).to(at::kDouble).cpu();
  while (static_cast<std::int64_t>(chosen.size()) < clusters) {
    const double total = nearest.sum().item<double>();
    // All points coincide with centres already: any remaining point will do.
    const at::Tensor weights = total > 0.0 ? nearest : at::ones_like(nearest);
    const std::int64_t next = at::multinomial(weights, 1, false, generator).item<std::int64_t>();
    chosen.push_back(next);
    nearest = at::minimum(nearest, (points - points[next]).square().sum(1).to(at::kDouble).cpu());
  }
  return points.index_select(0, at::tensor(chosen, at::kLong).to(points.device())).clone();
}

}  // namespace

at::Tensor kmeans_labels(const at::Tensor& points, std::int64_t clusters, std::int64_t max_iterations,
                         at::Generator& generator) {
  if (points.dim() != 2 || points.size(0) < clusters || clusters < 1) {
    throw UserError(fmt::format("k-means needs at least {} points [N, D] for {} clusters", clusters, clusters));
  }
  at::Tensor centres = seed_centres(points, clusters, generator);
  at::Tensor labels = at::cdist(points, centres).argmin(1);
  for (std::int64_t iteration = 0; iteration < max_iterations; ++iteration) {
    const at::Tensor counts = at::bincount(labels, {}, clusters).to(points.scalar_type()).unsqueeze(1);
    const at::Tensor sums = at::zeros_like(centres).index_add_(0, labels, points);
    // An emptied cluster keeps its centre.
    centres = at::where(counts > 0, sums / counts.clamp_min(1), centres);
    const at::Tensor updated = at::cdist(points, centres).argmin(1);
    if (updated.equal(labels)) break;
    labels = updated;
  }
  return labels;
}

}  // namespace scorch::evaluation
