#pragma once
// Random draws computed where the tensor lives: Philox-4x32-10 (Salmon et
// al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011), a
// counter-based generator, written in int64 tensor arithmetic so that it runs
// as a handful of elementwise kernels on a GPU instead of one CPU generator
// per example and a host-to-device copy (noise.device: device).
//
// Example i's key is derive_seed(key, global index i), split into two 32-bit
// words; element j of its draw comes from counter j. So, as with the CPU
// streams, an example's draw does not depend on its batch, rank or the world
// size. The integer words are exact on every device; the normal deviates go
// through log, sqrt, cos and sin in float64, which a GPU may round differently
// in the last bit, so CPU and GPU runs agree to about 1e-16 rather than
// bitwise. These streams differ from the CPU generators' (noise.device: host),
// which stay as they were. docs/performance.md has the layout.
#include "common/random_stream.h"

#include <ATen/core/Tensor.h>
#include <c10/core/TensorOptions.h>

#include <cstdint>
#include <vector>

namespace scorch {

// Philox-4x32-10 on rows: counters [N, 4] and keys [N, 2], int64 tensors
// holding 32-bit unsigned words; returns the four output words [N, 4] (int64).
at::Tensor philox4x32(const at::Tensor& counters, const at::Tensor& keys);

// Standard normal draws [B, ...example_shape] in options' dtype and on its
// device, one row per global index: counter j gives the uniforms (u, v) of
// 53 bits each from its word pairs, and Box–Muller turns them into elements
// 2j and 2j + 1: √(−2 ln(1 − u))·(cos 2πv, sin 2πv).
at::Tensor counter_normal(const RandomKey& key, const std::vector<std::int64_t>& global_indices,
                          at::IntArrayRef example_shape, const at::TensorOptions& options);

}  // namespace scorch
