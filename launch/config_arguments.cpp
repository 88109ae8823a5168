#include "launch/config_arguments.h"

#include "launch/config_schema.h"

#include <CLI/CLI.hpp>

namespace scorch::launch {

void ConfigArguments::add_to(CLI::App& command, bool required) {
  CLI::Option* config = command.add_option("--config", path, required ? "YAML config file" : "YAML config file (default: all defaults)");
  if (required) config->required();
  command.add_option("--set", overrides, "override a config key, e.g. --set sde.beta_max=10 (repeatable)")
      ->expected(1)
      ->take_all();
}

Config ConfigArguments::load() const { return load_config(path, overrides); }

}  // namespace scorch::launch
