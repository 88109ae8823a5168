#pragma once
// Forward declarations for headers that declare config keys or read a Config
// without needing yaml-cpp or the full config interface.
namespace scorch {
class Config;
class ConfigSchema;
}  // namespace scorch
