#pragma once
// Host data (a batch, its times, levels or noise, a key table) onto the
// compute device without stalling it. CUDA makes a copy from pageable host
// memory wait for everything already queued on the stream, so each training
// step's inputs would wait for the previous step's optimizer kernels: a host
// sync in all but name. From pinned memory the copy is queued like a kernel
// (PyTorch's pin_memory + non_blocking); the caching host allocator keeps the
// pinned block until the copy has run. CPU targets get a plain .to().
#include <ATen/core/Tensor.h>
#include <c10/core/TensorOptions.h>

namespace scorch {

// `host` on target's device, in target's dtype where it names one (a Device
// alone keeps the dtype). The values are those of host.to(target).
at::Tensor to_device(const at::Tensor& host, const at::TensorOptions& target);

}  // namespace scorch
