#include "common/config.h"
#include "launch/commands.h"
#include "launch/config_arguments.h"
#include "launch/config_schema.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <memory>

namespace scorch::launch {
namespace {
struct ConfigOptions {
  ConfigArguments config;
  bool list_keys = false;
};

}  // namespace

void add_config_command(CLI::App& app) {
  auto options = std::make_shared<ConfigOptions>();
  CLI::App* command = app.add_subcommand("config", "Print the resolved config (defaults, file, then --set overrides)");
  options->config.add_to(*command, /*required=*/false);
  command->add_flag("--keys", options->list_keys, "list every key with its type, default and meaning instead");
  command->callback([options] {
    if (options->list_keys) {
      for (const auto& key : full_schema().keys()) {
        fmt::print("{}\t{}\t{}\t{}\n", key.path, describe_expected_value(key), key.default_value, key.description);
      }
      return;
    }
    fmt::print("{}", options->config.load().to_yaml());
  });
}

}  // namespace scorch::launch
