#pragma once
// Every random draw in scorch comes from a generator derived from
// (seed, purpose, step or epoch, global index). Nothing depends on how work is
// split across ranks or batches, so resumed runs and runs on other world sizes
// see the same numbers. Draws happen on the CPU generator and are moved to the
// tensor's device afterwards, which also makes CPU and GPU runs draw alike.
#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <vector>

namespace scorch {

// Stable numeric tags: changing one changes every stream of that purpose.
enum class RandomPurpose : std::uint64_t {
  training_time = 1,
  training_noise = 2,
  training_level = 3,
  epoch_permutation = 4,
  sampler_noise = 5,
  dequantization = 6,
  divergence_probe = 7,
  dropout = 8,
  synthetic_data = 9,
  augmentation = 10,
  parameter_init = 11,
  bound_time = 12,
  bound_noise = 13,
  bound_decoder_noise = 14,
  metric_clustering = 15,
  metric_subsets = 16,
  test = 1000,
};

struct RandomKey {
  std::uint64_t seed = 0;
  RandomPurpose purpose = RandomPurpose::test;
  std::uint64_t step = 0;  // training step, epoch, or 0 where there is none
};

// A 64-bit seed that is a pure function of key and index (SplitMix64 chaining).
std::uint64_t derive_seed(const RandomKey& key, std::uint64_t index);

// A fresh CPU generator seeded with derive_seed(key, index).
at::Generator make_generator(const RandomKey& key, std::uint64_t index);

// Calls draw once per global index, each with that index's own generator, and
// stacks the results along a new leading dimension.
at::Tensor draw_per_example(const RandomKey& key, const std::vector<std::int64_t>& global_indices,
                            const std::function<at::Tensor(at::Generator&)>& draw);

// Convenience: indices first, first+1, ..., first+count-1.
std::vector<std::int64_t> index_range(std::int64_t first, std::int64_t count);

}  // namespace scorch
