#pragma once
// A training objective turns a clean batch into per-example losses. All of its
// randomness (times, levels, noise) comes from (seed, purpose, step, global
// example index), so the loss of an example does not depend on the batch it is in.
#include "common/name_table.h"
#include "models/score_function.h"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace scorch::trainer {

// Where the Gaussian training noise is drawn (noise.device): `host`, from one
// CPU generator per example, then copied to the device (every run before
// noise.device existed); `device`, by the counter-based generator of
// common/counter_noise.h where the batch lives. Other noise families draw on the host.
enum class NoiseDevice { host, device };
inline const std::vector<Named<NoiseDevice>>& noise_device_table() {
  static const std::vector<Named<NoiseDevice>> table = {{NoiseDevice::host, "host"}, {NoiseDevice::device, "device"}};
  return table;
}

class Objective {
 public:
  virtual ~Objective() = default;
  // Losses [B] for the batch x0 [B, ...] whose examples have these global indices.
  virtual at::Tensor per_example_loss(const models::ScoreFunction& score, const at::Tensor& x0, std::uint64_t seed,
                                      std::uint64_t step, const std::vector<std::int64_t>& global_indices) const = 0;
};

}  // namespace scorch::trainer
