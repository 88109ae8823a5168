#include "common/device_copy.h"

namespace scorch {

at::Tensor to_device(const at::Tensor& host, const at::TensorOptions& target) {
  // Cast on the host first, so that only the target dtype's bytes travel.
  const at::Tensor cast = target.has_dtype() ? host.to(c10::typeMetaToScalarType(target.dtype())) : host;
  if (!target.device().is_cuda() || !cast.device().is_cpu()) return cast.to(target.device());
  return cast.pin_memory().to(target.device(), /*non_blocking=*/true);
}

}  // namespace scorch
