#include "common/noise_stream.h"

#include <ATen/ATen.h>

namespace scorch {

at::Tensor standard_normal_block(at::Generator& generator, std::int64_t rows, std::int64_t numel) {
  return at::randn({rows, numel}, generator, at::kDouble);
}

NoiseStream::NoiseStream(std::uint64_t seed, RandomPurpose purpose, const std::vector<std::int64_t>& global_indices,
                         std::vector<std::int64_t> example_shape, BlockDraw draw, std::int64_t block)
    : NoiseStream(RandomKey{seed, purpose, 0}, global_indices, std::move(example_shape), std::move(draw), block) {}

NoiseStream::NoiseStream(const RandomKey& key, const std::vector<std::int64_t>& global_indices,
                         std::vector<std::int64_t> example_shape, BlockDraw draw, std::int64_t block)
    : example_shape_(std::move(example_shape)), draw_(std::move(draw)), block_(block), used_(block) {
  for (std::int64_t n : example_shape_) example_numel_ *= n;
  for (std::int64_t index : global_indices) {
    generators_.push_back(make_generator(key, static_cast<std::uint64_t>(index)));
  }
}

at::Tensor NoiseStream::next() {
  if (used_ == block_) {
    // Refills draw each example's next `block` steps from its own generator in one call.
    std::vector<at::Tensor> blocks;
    blocks.reserve(generators_.size());
    for (at::Generator& generator : generators_) blocks.push_back(draw_(generator, block_, example_numel_));
    buffer_ = at::stack(blocks);
    used_ = 0;
  }
  std::vector<std::int64_t> shape = example_shape_;
  shape.insert(shape.begin(), static_cast<std::int64_t>(generators_.size()));
  return buffer_.select(1, used_++).reshape(shape);
}

}  // namespace scorch
