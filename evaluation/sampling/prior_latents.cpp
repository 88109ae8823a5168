#include "evaluation/sampling/prior_latents.h"

#include "models/sde.h"

namespace scorch::evaluation {

at::Tensor prior_latents(const models::Sde& sde, const std::vector<std::int64_t>& example_shape, std::uint64_t seed,
                         const std::vector<std::int64_t>& image_indices, const at::TensorOptions& options) {
  NoiseStream noise(seed, RandomPurpose::sampler_noise, image_indices, example_shape);
  return (noise.next() * sde.prior_std()).to(options);
}

NoiseStream sampler_noise_after_prior(std::uint64_t seed, const std::vector<std::int64_t>& image_indices,
                                      const std::vector<std::int64_t>& example_shape) {
  NoiseStream noise(seed, RandomPurpose::sampler_noise, image_indices, example_shape);
  noise.next();
  return noise;
}

}  // namespace scorch::evaluation
