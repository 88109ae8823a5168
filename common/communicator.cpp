#include "common/communicator.h"

#include <ATen/ATen.h>

namespace scorch {

at::Tensor summed_over_ranks(Communicator& communicator, const at::Tensor& tensor) {
  at::Tensor on_wire = tensor.to(communicator.device()).contiguous();
  if (on_wire.data_ptr() == tensor.data_ptr()) on_wire = on_wire.clone();  // never reduce the caller's tensor in place
  communicator.all_reduce_sum(on_wire);
  return on_wire.to(tensor.device());
}

}  // namespace scorch
