#include "launch/config_schema.h"

#include "data/loader_config.h"
#include "models/model_config.h"
#include "models/score_model_config.h"
#include "trainer/objective_config.h"
#include "trainer/training_config.h"

namespace scorch::launch {

const ConfigSchema& full_schema() {
  static const ConfigSchema schema = [] {
    ConfigSchema s;
    s.add({"seed", ConfigType::integer, "0", "root of every random stream", {}, 0.0});
    models::declare_model_config(s);
    models::declare_score_model_config(s);
    models::declare_process_kind(s);
    trainer::declare_objective_config(s);
    data::declare_loader_config(s);
    trainer::declare_training_config(s);
    return s;
  }();
  return schema;
}

Config load_config(const std::string& path, const std::vector<std::string>& overrides) {
  if (path.empty()) {
    Config config = Config::defaults(full_schema());
    for (const auto& assignment : overrides) config.set(assignment);
    return config;
  }
  return Config::load_file(full_schema(), path, overrides);
}

}  // namespace scorch::launch
