#pragma once
#include "common/config.h"

#include <string>
#include <vector>

namespace scorch::launch {

// Every key scorch understands, gathered from the libraries that read them.
const ConfigSchema& full_schema();

// Loads a config file (or the defaults when path is empty) with overrides.
Config load_config(const std::string& path, const std::vector<std::string>& overrides);

}  // namespace scorch::launch
