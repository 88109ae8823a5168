#include "common/distributed_keys.h"

#include "common/config.h"

namespace scorch {

void declare_distributed_keys(ConfigSchema& schema) {
  using T = ConfigType;
  schema.add({"distributed.timeout_s", T::number, "300", "abort the job when a collective waits longer", {}, 0.0, true});
  schema.add({"distributed.device", T::choice, "auto",
              "auto: the local rank's GPU with NCCL when this build has CUDA and a GPU is visible, else the CPU with MPI",
              {"auto", "cpu", "cuda"}});
}

DistributedSettings distributed_settings_from(const Config& config) {
  return {config.number("distributed.timeout_s"), config.string("distributed.device")};
}

}  // namespace scorch
