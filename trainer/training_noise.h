#pragma once
// The standard noise of a training batch, keyed by (seed, training noise,
// step, global index) and drawn where noise.device says: on the host, one
// generator per example from the family's own sampler, then copied; or on
// x0's device by the counter-based generator (common/counter_noise.h), for a
// family whose noise is exactly N(0, c² I). Shared by the SDE and the
// multi-level objectives so that both draw alike.
#include "trainer/objective.h"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace scorch::models {
class NoiseFamily;
}

namespace scorch::trainer {

// Noise like x0 [B, ...], in x0's dtype and on its device. `device` needs a
// family with a gaussian_std() (the objectives refuse others when they are made).
at::Tensor training_noise(const models::NoiseFamily& family, NoiseDevice where, std::uint64_t seed, std::uint64_t step,
                          const std::vector<std::int64_t>& global_indices, const at::Tensor& x0);

}  // namespace scorch::trainer
