#include "launch/commands.h"
#include "launch/config_arguments.h"
#include "models/score_model.h"
#include "models/score_model_config.h"
#include "models/sde.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <memory>

namespace scorch::launch {
namespace {
struct ModelOptions {
  ConfigArguments config;
  bool json = false;
};
}  // namespace

void add_model_command(CLI::App& app) {
  CLI::App* model = app.add_subcommand("model", "Inspect score models");
  model->require_subcommand(1);
  auto options = std::make_shared<ModelOptions>();
  CLI::App* info = model->add_subcommand("info", "Print a config's model: name, parameter count, input shape, parameterisation");
  options->config.add_to(*info, /*required=*/true);
  info->add_flag("--json", options->json, "print one JSON object");
  info->callback([options] {
    const Config config = options->config.load();
    const auto model = models::make_model_bundle(config).model;
    nlohmann::ordered_json report = {{"name", model->name()},
                                     {"parameters", model->parameter_count()},
                                     {"input_shape", model->input_shape()},
                                     {"conditioning", models::to_string(model->conditioning())},
                                     {"parameterisation", model->parameterisation()}};
    if (options->json) {
      fmt::print("{}\n", report.dump(2));
      return;
    }
    fmt::print("model             {}\nparameters        {}\ninput shape       [{}]\nconditioning      {}\nparameterisation  {}\n",
               model->name(), model->parameter_count(), fmt::join(model->input_shape(), ", "),
               models::to_string(model->conditioning()), model->parameterisation());
  });
}

}  // namespace scorch::launch
