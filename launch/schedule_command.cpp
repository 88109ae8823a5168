#include "launch/commands.h"
#include "launch/config_schema.h"
#include "launch/number_list.h"
#include "launch/schedule_report.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <memory>

namespace scorch::launch {
namespace {
struct ScheduleOptions {
  std::string config_path;
  std::vector<std::string> overrides;
  std::string times;
  std::string quantiles;
  bool json = false;
};
}  // namespace

void add_schedule_command(CLI::App& app) {
  auto options = std::make_shared<ScheduleOptions>();
  CLI::App* command = app.add_subcommand(
      "schedule", "Inspect an SDE's noise schedule and its likelihood importance-sampling proposal");
  command->add_option("--config", options->config_path, "YAML config file")->required();
  command->add_option("--set", options->overrides, "override a key: --set sde.name=ve (repeatable)")
      ->expected(1)
      ->take_all();
  command->add_option("--t", options->times, "comma-separated times to tabulate (default: 11 from eps to T)");
  command->add_option("--quantiles", options->quantiles,
                      "comma-separated u in [0,1] for the importance-sampling inverse CDF");
  command->add_flag("--json", options->json, "print one JSON object instead of a table");
  command->callback([options] {
    const Config config = load_config(options->config_path, options->overrides);
    const auto times = options->times.empty() ? std::vector<double>{} : parse_number_list(options->times, "--t");
    const auto quantiles =
        options->quantiles.empty() ? std::vector<double>{} : parse_number_list(options->quantiles, "--quantiles");
    const nlohmann::ordered_json report = schedule_report(config, times, quantiles);
    if (options->json) {
      fmt::print("{}\n", report.dump(2));
    } else {
      fmt::print("{}", format_schedule_table(report));
    }
  });
}

}  // namespace scorch::launch
