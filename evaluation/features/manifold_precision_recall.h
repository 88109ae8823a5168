#pragma once
// Improved precision and recall (Kynkäänniemi et al. 2019) as torch-fidelity
// computes them: each set's manifold is the union of balls around its
// features whose radius is the distance to the k-th nearest other feature
// (k = 3). Precision is the share of generated features inside the real
// manifold; recall the share of real features inside the generated one
// (docs/conventions.md §4).
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace scorch {
class Communicator;
}

namespace scorch::evaluation {

// Kynkäänniemi et al.'s and torch-fidelity's k.
inline constexpr std::int64_t kDefaultNeighbourhood = 3;

struct KnnPrecisionRecall {
  double precision = 0.0;
  double recall = 0.0;
};

// generated [N, d], real [M, d]; distances are taken in float32 in blocks of
// rows, so memory stays at a block times the larger set. With a communicator
// every rank passes the same features, the blocks are dealt round-robin over
// the ranks, and every rank gets the result.
KnnPrecisionRecall manifold_precision_recall(const at::Tensor& generated, const at::Tensor& real,
                                             std::int64_t neighbourhood = kDefaultNeighbourhood,
                                             Communicator* communicator = nullptr);

}  // namespace scorch::evaluation
