#include "launch/commands.h"
#include "launch/config_arguments.h"
#include "launch/number_list.h"
#include "launch/schedule_report.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <memory>

namespace scorch::launch {
namespace {
struct ScheduleOptions {
  ConfigArguments config;
  std::string times;
  std::string quantiles;
  bool json = false;
};
}  // namespace

void add_schedule_command(CLI::App& app) {
  auto options = std::make_shared<ScheduleOptions>();
  CLI::App* command = app.add_subcommand(
      "schedule", "Inspect an SDE's noise schedule and its likelihood importance-sampling proposal");
  options->config.add_to(*command, /*required=*/true);
  command->add_option("--t", options->times, "comma-separated times to tabulate (default: 11 from eps to T)");
  command->add_option("--quantiles", options->quantiles,
                      "comma-separated u in [0,1] for the importance-sampling inverse CDF");
  command->add_flag("--json", options->json, "print one JSON object instead of a table");
  command->callback([options] {
    const Config config = options->config.load();
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
