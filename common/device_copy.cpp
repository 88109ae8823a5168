#include "common/device_copy.h"

namespace scorch {

at::Tensor to_device(const at::Tensor& host, const c10::Device& device) {
  if (!device.is_cuda() || !host.device().is_cpu()) return host.to(device);
  return host.pin_memory().to(device, /*non_blocking=*/true);
}

}  // namespace scorch
