#include "evaluation/features/kernel_inception_distance.h"

#include "common/communicator.h"
#include "common/random_stream.h"
#include "common/user_error.h"

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

namespace scorch::evaluation {

double polynomial_mmd2(const at::Tensor& x, const at::Tensor& y) {
  const double m = static_cast<double>(x.size(0));
  const double d = static_cast<double>(x.size(1));
  const auto kernel = [d](const at::Tensor& a, const at::Tensor& b) { return (at::mm(a, b.t()) / d + 1.0).pow(3); };
  const at::Tensor k_xx = kernel(x, x), k_yy = kernel(y, y), k_xy = kernel(x, y);
  // The within-set sums leave out the diagonal (k(x, x)); the cross term keeps it.
  const double within = (k_xx.sum() - k_xx.diagonal().sum() + k_yy.sum() - k_yy.diagonal().sum()).item<double>();
  return within / (m * (m - 1.0)) - 2.0 * k_xy.sum().item<double>() / (m * m);
}

KernelInceptionDistance kernel_inception_distance(const at::Tensor& features_a, const at::Tensor& features_b,
                                                  const KidSettings& settings, Communicator* communicator) {
  if (features_a.dim() != 2 || features_b.dim() != 2 || features_a.size(1) != features_b.size(1)) {
    throw UserError(fmt::format("KID: feature sets [{}] and [{}] do not match", fmt::join(features_a.sizes(), ", "),
                                fmt::join(features_b.sizes(), ", ")));
  }
  const std::int64_t size = std::min({settings.subset_size, features_a.size(0), features_b.size(0)});
  if (size < 2 || settings.subsets < 1) {
    throw UserError(fmt::format("KID needs subsets of at least 2 features from each set (here {} and {})",
                                features_a.size(0), features_b.size(0)));
  }
  const at::Tensor a = features_a.to(at::kDouble), b = features_b.to(at::kDouble);
  const RandomKey key{settings.seed, RandomPurpose::metric_subsets, 0};
  const int rank = communicator ? communicator->rank() : 0;
  const int ranks = communicator ? communicator->world_size() : 1;
  at::Tensor values = at::zeros({settings.subsets}, at::kDouble);
  for (std::int64_t subset = rank; subset < settings.subsets; subset += ranks) {
    // The subsets are drawn on the CPU, from the subset's own stream, whichever rank draws them.
    at::Generator generator = make_generator(key, static_cast<std::uint64_t>(subset));
    const at::Tensor rows_a = at::randperm(a.size(0), generator, at::kLong).narrow(0, 0, size).to(a.device());
    const at::Tensor rows_b = at::randperm(b.size(0), generator, at::kLong).narrow(0, 0, size).to(b.device());
    values[subset] = polynomial_mmd2(a.index_select(0, rows_a), b.index_select(0, rows_b));
  }
  // Each subset's value is on one rank and zero elsewhere, so the sum is exact.
  if (communicator) values = summed_over_ranks(*communicator, values);
  return {values.mean().item<double>(), at::std(values, /*unbiased=*/false).item<double>(), size};
}

}  // namespace scorch::evaluation
