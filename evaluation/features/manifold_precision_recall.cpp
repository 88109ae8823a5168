#include "evaluation/features/manifold_precision_recall.h"

#include "common/communicator.h"
#include "common/user_error.h"

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace scorch::evaluation {
namespace {

constexpr std::int64_t kRowsPerBlock = 1024;

// The blocks of rows this rank handles: every ranks-th block from its rank on.
struct Share {
  int rank = 0, ranks = 1;
  Communicator* communicator = nullptr;
  at::Tensor summed(const at::Tensor& x) const { return communicator ? summed_over_ranks(*communicator, x) : x; }
};

// The distance from each row of x to its k-th nearest other row: the
// (k+1)-th smallest distance, the row itself being the first at 0.
at::Tensor neighbourhood_radii(const at::Tensor& x, std::int64_t k, const Share& share) {
  at::Tensor radii = at::zeros({x.size(0)}, x.options());
  for (std::int64_t start = share.rank * kRowsPerBlock; start < x.size(0); start += share.ranks * kRowsPerBlock) {
    const std::int64_t rows = std::min(kRowsPerBlock, x.size(0) - start);
    radii.narrow(0, start, rows).copy_(std::get<0>(at::cdist(x.narrow(0, start, rows), x).kthvalue(k + 1, 1)));
  }
  // Each radius is on one rank and zero elsewhere, so the sum is exact.
  return share.summed(radii);
}

// The share of rows of `points` within the radius of at least one centre.
double share_inside(const at::Tensor& points, const at::Tensor& centres, const at::Tensor& radii, const Share& share) {
  at::Tensor inside = at::zeros({1}, at::kDouble);
  for (std::int64_t start = share.rank * kRowsPerBlock; start < points.size(0); start += share.ranks * kRowsPerBlock) {
    const at::Tensor block = points.narrow(0, start, std::min(kRowsPerBlock, points.size(0) - start));
    inside += static_cast<double>((at::cdist(block, centres) <= radii.unsqueeze(0)).any(1).sum().item<std::int64_t>());
  }
  return share.summed(inside).item<double>() / static_cast<double>(points.size(0));
}

}  // namespace

KnnPrecisionRecall manifold_precision_recall(const at::Tensor& generated, const at::Tensor& real,
                                             std::int64_t neighbourhood, Communicator* communicator) {
  if (generated.dim() != 2 || real.dim() != 2 || generated.size(1) != real.size(1)) {
    throw UserError(fmt::format("precision/recall: feature sets [{}] and [{}] do not match",
                                fmt::join(generated.sizes(), ", "), fmt::join(real.sizes(), ", ")));
  }
  if (neighbourhood < 1 || generated.size(0) <= neighbourhood || real.size(0) <= neighbourhood) {
    throw UserError(fmt::format("precision/recall with k = {} needs more than {} features in each set (here {} and {})",
                                neighbourhood, neighbourhood, generated.size(0), real.size(0)));
  }
  const at::Tensor g = generated.to(at::kFloat), r = real.to(at::kFloat);
  const Share share{communicator ? communicator->rank() : 0, communicator ? communicator->world_size() : 1,
                    communicator};
  return {share_inside(g, r, neighbourhood_radii(r, neighbourhood, share), share),
          share_inside(r, g, neighbourhood_radii(g, neighbourhood, share), share)};
}

}  // namespace scorch::evaluation
