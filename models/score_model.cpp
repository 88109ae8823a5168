#include "models/score_model.h"

#include <stdexcept>

namespace scorch::models {

std::string to_string(Conditioning conditioning) {
  switch (conditioning) {
    case Conditioning::time: return "time";
    case Conditioning::noise_level: return "noise_level";
    case Conditioning::chain_time: return "chain_time";
  }
  return "?";
}

ScoreModel::ScoreModel(Conditioning conditioning, bool has_sde) : conditioning_(conditioning) {
  if ((conditioning == Conditioning::time) != has_sde) {
    throw std::logic_error("a score network needs an SDE exactly for time conditioning");
  }
}

std::int64_t ScoreModel::parameter_count() const {
  std::int64_t count = 0;
  for (const auto& parameter : parameters()) count += parameter.numel();
  return count;
}

ScoreFunction ScoreModel::as_function() {
  return [this](const at::Tensor& x, const at::Tensor& conditioning) { return score(x, conditioning); };
}

}  // namespace scorch::models
