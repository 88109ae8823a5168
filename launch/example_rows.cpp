#include "launch/example_rows.h"

#include "common/user_error.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace scorch::launch {

void require_example_rows(const at::Tensor& rows, const std::vector<std::int64_t>& input_shape, const std::string& path,
                          const std::string& what) {
  const bool fits = rows.dim() == static_cast<std::int64_t>(input_shape.size()) + 1 && rows.size(0) >= 1 &&
                    std::vector<std::int64_t>(rows.sizes().begin() + 1, rows.sizes().end()) == input_shape;
  if (!fits) {
    throw UserError(fmt::format("{}: the {} are shaped [{}]; this model takes [N, {}]", path, what,
                                fmt::join(rows.sizes(), ", "), fmt::join(input_shape, ", ")));
  }
}

}  // namespace scorch::launch
