#pragma once
// A training objective turns a clean batch into per-example losses. All of its
// randomness (times, levels, noise) comes from (seed, purpose, step, global
// example index), so the loss of an example does not depend on the batch it is in.
#include "models/score_function.h"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace scorch::trainer {

class Objective {
 public:
  virtual ~Objective() = default;
  // Losses [B] for the batch x0 [B, ...] whose examples have these global indices.
  virtual at::Tensor per_example_loss(const models::ScoreFunction& score, const at::Tensor& x0, std::uint64_t seed,
                                      std::uint64_t step, const std::vector<std::int64_t>& global_indices) const = 0;
};

}  // namespace scorch::trainer
