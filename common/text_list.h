#pragma once
// Comma-separated lists in config values and options ("fid, is", "a.h5,b.h5").
#include <string>
#include <vector>

namespace scorch {

// The items between commas with surrounding blanks removed; empty items are dropped.
std::vector<std::string> split_comma_list(const std::string& text);

}  // namespace scorch
