#include "common/log.h"

#include <cstdio>
#include <mutex>

namespace scorch::log {
namespace {
int g_rank = 0;
int g_world_size = 1;
Level g_min_level = Level::info;
std::mutex g_write_mutex;

const char* level_tag(Level level) {
  switch (level) {
    case Level::debug: return "debug: ";
    case Level::info: return "";
    case Level::warn: return "warning: ";
    case Level::error: return "error: ";
  }
  return "";
}
}  // namespace

void set_rank(int rank, int world_size) {
  g_rank = rank;
  g_world_size = world_size;
}
int rank() { return g_rank; }
int world_size() { return g_world_size; }
void set_min_level(Level level) { g_min_level = level; }

std::string format_line(Level level, const std::string& message) {
  std::string prefix = g_world_size > 1 ? fmt::format("[scorch {}/{}] ", g_rank, g_world_size) : "[scorch] ";
  return prefix + level_tag(level) + message;
}

void write(Level level, const std::string& message) {
  if (level < g_min_level) return;
  const std::string line = format_line(level, message) + "\n";
  std::lock_guard<std::mutex> lock(g_write_mutex);
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
}

}  // namespace scorch::log
