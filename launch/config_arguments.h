#pragma once
// The `--config FILE` and repeatable `--set key=value` options that every
// config-driven subcommand takes, and the config they resolve to.
#include "common/config.h"

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace scorch::launch {

struct ConfigArguments {
  std::string path;
  std::vector<std::string> overrides;

  // Registers the two options; without `required`, a missing --config means all defaults.
  void add_to(CLI::App& command, bool required);
  Config load() const;
};

}  // namespace scorch::launch
