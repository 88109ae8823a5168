#pragma once
// Where the SDE samplers start: x_T ~ N(0, prior_std² I), drawn as the first
// draw of each image's sampler stream (keyed by seed and global image index).
// Samplers that need more noise (PC, EDM's churn, DDIM with η > 0) read the
// same stream after that draw, so latents given from outside (`scorch sample
// --latents`) that equal these draws give exactly the samples drawn without them.
#include "common/noise_stream.h"

#include <ATen/core/Tensor.h>
#include <c10/core/TensorOptions.h>

#include <cstdint>
#include <vector>

namespace scorch::models {
class Sde;
}

namespace scorch::evaluation {

// x_T for these images, [B, ...example_shape], computed with `options`.
at::Tensor prior_latents(const models::Sde& sde, const std::vector<std::int64_t>& example_shape, std::uint64_t seed,
                         const std::vector<std::int64_t>& image_indices, const at::TensorOptions& options);

// The images' sampler streams, positioned after the prior draw.
NoiseStream sampler_noise_after_prior(std::uint64_t seed, const std::vector<std::int64_t>& image_indices,
                                      const std::vector<std::int64_t>& example_shape);

}  // namespace scorch::evaluation
