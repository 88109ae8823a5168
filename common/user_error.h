#pragma once
// The one exception type for problems the user can fix (bad config, bad input,
// missing file). The CLI prints its message as a single line and exits non-zero;
// anything else escaping to main is treated as an internal error.
#include <stdexcept>
#include <string>

namespace scorch {

class UserError : public std::runtime_error {
 public:
  explicit UserError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace scorch
