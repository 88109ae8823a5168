#include "launch/stop_signals.h"

#include <csignal>

namespace scorch::launch {
namespace {

std::atomic<bool> flag{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the signal handler needs a lock-free flag");

extern "C" void request_stop(int) { flag.store(true); }

}  // namespace

std::atomic<bool>& stop_requested() { return flag; }

void install_stop_signal_handlers() {
  struct sigaction action = {};
  action.sa_handler = request_stop;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGUSR1, &action, nullptr);
}

}  // namespace scorch::launch
