#pragma once
// SIGTERM and SIGUSR1 (Slurm's pre-emption warnings) ask a running job to
// checkpoint and exit cleanly; the handler only sets a flag, which the
// training loop shares with every rank at the next step.
#include <atomic>

namespace scorch::launch {

std::atomic<bool>& stop_requested();
void install_stop_signal_handlers();

}  // namespace scorch::launch
