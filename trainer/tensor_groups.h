#pragma once
// How the multi-tensor (_foreach) updates of Adam and the EMA are batched.
// On a GPU one group of all tensors makes each operation a single fused
// kernel. On a CPU, _foreach runs tensor by tensor anyway, and one group would
// stream every buffer of a large model through memory once per operation,
// with a temporary the size of the whole model; one tensor per group finishes
// each tensor's update while it is still in cache, as the per-tensor loops
// did before. (On DDPM++ at batch 8 the two differ by less than the
// benchmark's noise, since the step is mostly convolutions.) The arithmetic
// is the same either way, so the choice never changes a value.
#include <ATen/core/Tensor.h>

#include <cstddef>
#include <vector>

namespace scorch::trainer {

// Calls run(first, count) over consecutive groups covering tensors.
template <typename Run>
void for_each_group(const std::vector<at::Tensor>& tensors, const Run& run) {
  if (tensors.empty()) return;
  if (tensors.front().is_cuda()) {
    run(0, tensors.size());
    return;
  }
  for (std::size_t i = 0; i < tensors.size(); ++i) run(i, 1);
}

}  // namespace scorch::trainer
