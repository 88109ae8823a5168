#pragma once
// Noise for a batch of examples over many steps (a sampler's trajectory): one
// generator per example, keyed by (seed, purpose, 0, global index), read
// `block` steps at a time (or by (seed, purpose, step, index) where a stream repeats). An example's noise sequence is the same whatever
// batch, rank or batch size it is processed in. Standard normal by default;
// another elementwise law (e.g. generalised-normal Langevin noise) is a
// different block draw.
#include "common/random_stream.h"

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <vector>

namespace scorch {

// float64 [rows, numel] of i.i.d. draws from `generator`.
using BlockDraw = std::function<at::Tensor(at::Generator& generator, std::int64_t rows, std::int64_t numel)>;
at::Tensor standard_normal_block(at::Generator& generator, std::int64_t rows, std::int64_t numel);

class NoiseStream {
 public:
  NoiseStream(std::uint64_t seed, RandomPurpose purpose, const std::vector<std::int64_t>& global_indices,
              std::vector<std::int64_t> example_shape, BlockDraw draw = standard_normal_block, std::int64_t block = 64);
  // Keyed by (seed, purpose, key.step, global index), for streams that repeat (e.g. bound repeats).
  NoiseStream(const RandomKey& key, const std::vector<std::int64_t>& global_indices,
              std::vector<std::int64_t> example_shape, BlockDraw draw = standard_normal_block, std::int64_t block = 64);

  // The next draw for every example, [B, ...example_shape], float64 on the CPU.
  at::Tensor next();

 private:
  std::vector<at::Generator> generators_;
  std::vector<std::int64_t> example_shape_;
  std::int64_t example_numel_ = 1;
  BlockDraw draw_;
  std::int64_t block_;
  at::Tensor buffer_;  // [B, block, example_numel]
  std::int64_t used_ = 0;
};

}  // namespace scorch
