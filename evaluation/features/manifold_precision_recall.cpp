#include "evaluation/features/manifold_precision_recall.h"

#include "common/user_error.h"

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace scorch::evaluation {
namespace {

constexpr std::int64_t kRowsPerBlock = 1024;

// The distance from each row of x to its k-th nearest other row: the
// (k+1)-th smallest distance, the row itself being the first at 0.
at::Tensor neighbourhood_radii(const at::Tensor& x, std::int64_t k) {
  std::vector<at::Tensor> radii;
  for (std::int64_t start = 0; start < x.size(0); start += kRowsPerBlock) {
    const at::Tensor block = x.narrow(0, start, std::min(kRowsPerBlock, x.size(0) - start));
    radii.push_back(std::get<0>(at::cdist(block, x).kthvalue(k + 1, 1)));
  }
  return at::cat(radii);
}

// The share of rows of `points` within the radius of at least one centre.
double share_inside(const at::Tensor& points, const at::Tensor& centres, const at::Tensor& radii) {
  std::int64_t inside = 0;
  for (std::int64_t start = 0; start < points.size(0); start += kRowsPerBlock) {
    const at::Tensor block = points.narrow(0, start, std::min(kRowsPerBlock, points.size(0) - start));
    inside += (at::cdist(block, centres) <= radii.unsqueeze(0)).any(1).sum().item<std::int64_t>();
  }
  return static_cast<double>(inside) / static_cast<double>(points.size(0));
}

}  // namespace

KnnPrecisionRecall manifold_precision_recall(const at::Tensor& generated, const at::Tensor& real,
                                          std::int64_t neighbourhood) {
  if (generated.dim() != 2 || real.dim() != 2 || generated.size(1) != real.size(1)) {
    throw UserError(fmt::format("precision/recall: feature sets [{}] and [{}] do not match",
                                fmt::join(generated.sizes(), ", "), fmt::join(real.sizes(), ", ")));
  }
  if (neighbourhood < 1 || generated.size(0) <= neighbourhood || real.size(0) <= neighbourhood) {
    throw UserError(fmt::format("precision/recall with k = {} needs more than {} features in each set (here {} and {})",
                                neighbourhood, neighbourhood, generated.size(0), real.size(0)));
  }
  const at::Tensor g = generated.to(at::kFloat), r = real.to(at::kFloat);
  return {share_inside(g, r, neighbourhood_radii(r, neighbourhood)),
          share_inside(r, g, neighbourhood_radii(g, neighbourhood))};
}

}  // namespace scorch::evaluation
