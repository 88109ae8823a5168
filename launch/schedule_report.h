#pragma once
// What `scorch schedule` prints: the SDE's coefficients at chosen times and the
// likelihood importance-sampling proposal, as JSON or as a table.
#include <nlohmann/json.hpp>

#include <vector>

namespace scorch {
class Config;
}

namespace scorch::launch {

// Empty lists select the defaults (11 times from ε to T; a spread of quantiles).
nlohmann::ordered_json schedule_report(const Config& config, std::vector<double> times, std::vector<double> quantiles);
std::string format_schedule_table(const nlohmann::ordered_json& report);

}  // namespace scorch::launch
