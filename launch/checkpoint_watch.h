#pragma once
// Following a training run from `scorch evaluate --watch`: each poll hands
// out the checkpoints that appeared since the last one, in step order, and
// says whether training recorded that it finished
// (trainer::CheckpointDirectory::finished). Rank 0 looks at the directory and
// every rank acts on its answer, so all ranks evaluate the same checkpoints.
#include "trainer/checkpoint.h"

#include <cstdint>
#include <string>
#include <vector>

namespace scorch {
class Communicator;
}

namespace scorch::launch {

class CheckpointWatch {
 public:
  // A run directory (its checkpoints/ need not exist yet), or a directory named
  // checkpoints, or any directory that already holds checkpoints.
  CheckpointWatch(const std::string& run_or_checkpoints, Communicator& communicator);

  struct Poll {
    std::vector<std::string> fresh;  // new checkpoints, by increasing step
    bool finished = false;           // training has ended and its final checkpoint has been handed out
  };
  // Collective.
  Poll poll();
  // Whether `path` can still be read, on rank 0's word: training's checkpoint.keep
  // may remove a checkpoint before it is evaluated. Collective.
  bool still_there(const std::string& path);
  // Rank 0's `value` on every rank, for decisions all ranks must take together
  // (each rank's clock differs). Collective.
  bool as_rank0_decides(bool value);
  const std::string& directory() const { return directory_.directory(); }

 private:
  trainer::CheckpointDirectory directory_;
  Communicator& communicator_;
  std::int64_t last_step_ = -1;  // the newest step handed out
};

}  // namespace scorch::launch
