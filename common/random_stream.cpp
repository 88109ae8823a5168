#include "common/random_stream.h"

#include <ATen/CPUGeneratorImpl.h>

#include <numeric>

namespace scorch {
namespace {
std::uint64_t splitmix64(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
}  // namespace

std::uint64_t derive_seed(const RandomKey& key, std::uint64_t index) {
  std::uint64_t h = splitmix64(key.seed);
  h = splitmix64(h ^ static_cast<std::uint64_t>(key.purpose));
  h = splitmix64(h ^ key.step);
  return splitmix64(h ^ index);
}

at::Generator make_generator(const RandomKey& key, std::uint64_t index) {
  return at::detail::createCPUGenerator(derive_seed(key, index));
}

at::Tensor draw_per_example(const RandomKey& key, const std::vector<std::int64_t>& global_indices,
                            const std::function<at::Tensor(at::Generator&)>& draw) {
  std::vector<at::Tensor> draws;
  draws.reserve(global_indices.size());
  for (std::int64_t index : global_indices) {
    at::Generator generator = make_generator(key, static_cast<std::uint64_t>(index));
    draws.push_back(draw(generator));
  }
  return at::stack(draws);
}

std::vector<std::int64_t> index_range(std::int64_t first, std::int64_t count) {
  std::vector<std::int64_t> indices(static_cast<std::size_t>(count));
  std::iota(indices.begin(), indices.end(), first);
  return indices;
}

}  // namespace scorch
