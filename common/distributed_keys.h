#pragma once
// The distributed.* keys every multi-rank command reads (training, sampling,
// evaluation), declared once so their names, defaults and help agree.
#include <string>

namespace scorch {

class ConfigSchema;
class Config;

void declare_distributed_keys(ConfigSchema& schema);

struct DistributedSettings {
  double timeout_seconds = 300.0;
  std::string device = "auto";  // auto, cpu or cuda
};

DistributedSettings distributed_settings_from(const Config& config);

}  // namespace scorch
