#pragma once
// Checks that a file's tensor holds N ≥ 1 examples shaped like the model's
// input, for the commands that read examples from a user's file (`sample
// --latents`, `encode --data`). Every rank reads and checks before sampling.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

namespace scorch::launch {

// UserError "PATH: the WHAT are shaped [...]; this model takes [N, ...]" otherwise.
void require_example_rows(const at::Tensor& rows, const std::vector<std::int64_t>& input_shape, const std::string& path,
                          const std::string& what);

}  // namespace scorch::launch
