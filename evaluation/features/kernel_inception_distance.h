#pragma once
// The Kernel Inception Distance (Bińkowski et al. 2018) as torch-fidelity
// computes it: the unbiased estimate of MMD² with the cubic polynomial
// kernel k(x, y) = (x·y/d + 1)³, averaged over random subsets of both sets,
// reported as the mean and the population std over subsets
// (docs/conventions.md §4). Subsets are drawn without replacement from
// (seed, metric_subsets, subset), so the value depends only on the features
// and the seed.
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace scorch {
class Communicator;
}

namespace scorch::evaluation {

struct KidSettings {
  std::int64_t subsets = 100;
  std::int64_t subset_size = 1000;  // lowered to the smaller set's size when it has fewer
  std::uint64_t seed = 0;
};

struct KernelInceptionDistance {
  double mean = 0.0;
  double std = 0.0;  // population std over subsets
  std::int64_t subset_size = 0;
};

// Unbiased MMD² between the rows of x [m, d] and y [m, d] (float64).
double polynomial_mmd2(const at::Tensor& x, const at::Tensor& y);

// features_a [N, d], features_b [M, d], any floating dtype. With a
// communicator every rank passes the same features; the subsets are dealt
// round-robin over the ranks and every rank gets the result.
KernelInceptionDistance kernel_inception_distance(const at::Tensor& features_a, const at::Tensor& features_b,
                                                  const KidSettings& settings = {},
                                                  Communicator* communicator = nullptr);

}  // namespace scorch::evaluation
