#pragma once
// How the multi-tensor (_foreach) updates of Adam and the EMA are batched.
// On a GPU one group of all tensors makes each operation a single fused
// kernel. On a CPU, _foreach runs tensor by tensor anyway, and one group would
// stream every buffer of a large model through memory once per operation;
// one tensor per group finishes each tensor's update while it is still in
// cache (measured on DDPM++, docs/performance.md). The arithmetic is the same
// either way, so the choice never changes a value.
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
