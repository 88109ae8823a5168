#pragma once
// Adam with the update of PyTorch's torch.optim.Adam (amsgrad optional), or
// of torch.optim.AdamW with decoupled weight decay, kept here so that its whole state (moments, the amsgrad
// maxima and the step count) is ours to checkpoint by parameter name and
// restore bitwise.
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
  // torch.optim.Adam(amsgrad=True): the denominator uses the running maximum
  // of exp_avg_sq (the heavy-tailed DSM notebook trains with it).
  bool amsgrad = false;
  // torch.optim.AdamW's decoupled decay: θ ← θ(1 − lr·λ) before each update
  // (0: plain Adam). The DLPM authors train with AdamW's default λ = 0.01.
  double weight_decay = 0.0;
};

class Adam {
 public:
  // The trainable parameters, by name; they must outlive the optimiser.
  Adam(std::vector<std::pair<std::string, at::Tensor>> parameters, AdamSettings settings);

  // One update from each parameter's .grad() with learning rate lr.
  void step(double lr);
  std::int64_t steps() const { return steps_; }

  // The moments by kind ("exp_avg", "exp_avg_sq", and "max_exp_avg_sq" with
  // amsgrad), then by parameter name.
  using State = std::map<std::string, std::map<std::string, at::Tensor>>;
  State state() const;
  // Restores state() output; throws UserError naming anything missing or
  // misshapen. With amsgrad, state without maxima (a run that trained without
  // it) starts them at exp_avg_sq.
  void load_state(const State& state, std::int64_t steps);

 private:
  struct Slot {
    std::string name;
    at::Tensor parameter, exp_avg, exp_avg_sq, max_exp_avg_sq;  // the last only with amsgrad
  };
  std::vector<Slot> slots_;
  AdamSettings settings_;
  std::int64_t steps_ = 0;
};

}  // namespace scorch::trainer
