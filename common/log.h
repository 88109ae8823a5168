#pragma once
// Progress and diagnostics go to stderr through fmt, prefixed with the rank once
// the job runs on more than one process, so interleaved mpirun output stays readable.
#include <fmt/core.h>

#include <string>
#include <utility>

namespace scorch::log {

enum class Level { debug, info, warn, error };

// Called by the runtime once the process knows its place in the job.
void set_rank(int rank, int world_size);
int rank();
int world_size();

void set_min_level(Level level);
void write(Level level, const std::string& message);

template <typename... Args>
void info(fmt::format_string<Args...> format, Args&&... args) {
  write(Level::info, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
void warn(fmt::format_string<Args...> format, Args&&... args) {
  write(Level::warn, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
void error(fmt::format_string<Args...> format, Args&&... args) {
  write(Level::error, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
void debug(fmt::format_string<Args...> format, Args&&... args) {
  write(Level::debug, fmt::format(format, std::forward<Args>(args)...));
}

// Formats the line that write() would print, without printing it.
std::string format_line(Level level, const std::string& message);

}  // namespace scorch::log
