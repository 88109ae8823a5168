#pragma once
// Adam with the update of PyTorch's torch.optim.Adam (no weight decay, no
// amsgrad), kept here so that its whole state (moments and step count) is
// ours to checkpoint by parameter name and restore bitwise.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace scorch::trainer {

struct AdamSettings {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
};

class Adam {
 public:
  // The trainable parameters, by name; they must outlive the optimiser.
  Adam(std::vector<std::pair<std::string, at::Tensor>> parameters, AdamSettings settings);

  // One update from each parameter's .grad() with learning rate lr.
  void step(double lr);
  std::int64_t steps() const { return steps_; }

  // The moments by kind ("exp_avg", "exp_avg_sq"), then by parameter name.
  using State = std::map<std::string, std::map<std::string, at::Tensor>>;
  State state() const;
  // Restores state() output; throws UserError naming anything missing or misshapen.
  void load_state(const State& state, std::int64_t steps);

 private:
  struct Slot {
    std::string name;
    at::Tensor parameter, exp_avg, exp_avg_sq;
  };
  std::vector<Slot> slots_;
  AdamSettings settings_;
  std::int64_t steps_ = 0;
};

}  // namespace scorch::trainer
