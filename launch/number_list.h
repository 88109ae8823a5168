#pragma once
#include <string>
#include <vector>

namespace scorch::launch {

// Parses "0.001,0.5,1" into numbers; a malformed entry is a UserError naming `option`.
std::vector<double> parse_number_list(const std::string& text, const std::string& option);

}  // namespace scorch::launch
