#include "common/durable_file.h"

#include "common/user_error.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fcntl.h>
#include <unistd.h>

namespace scorch {
namespace {

void sync_descriptor_of(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags);
  if (fd < 0) throw UserError(fmt::format("{}: cannot open to sync: {}", path, std::strerror(errno)));
  const int status = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  // Directories on some file systems refuse fsync (EINVAL); the data is then as durable as it gets.
  if (status != 0 && saved != EINVAL) throw UserError(fmt::format("{}: fsync failed: {}", path, std::strerror(saved)));
}

}  // namespace

void sync_to_disk(const std::string& path) { sync_descriptor_of(path, O_RDONLY); }

void sync_directory_of(const std::string& path) {
  std::filesystem::path directory = std::filesystem::path(path).parent_path();
  if (directory.empty()) directory = ".";
  sync_descriptor_of(directory.string(), O_RDONLY | O_DIRECTORY);
}

void rename_durably(const std::string& temporary, const std::string& path) {
  sync_to_disk(temporary);
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    throw UserError(fmt::format("{}: cannot rename into place: {}", path, std::strerror(errno)));
  }
  sync_directory_of(path);
}

void write_text_file_atomically(const std::string& path, const std::string& text) {
  const std::string temporary = path + ".partial";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      std::remove(temporary.c_str());
      throw UserError(fmt::format("{}: cannot write", temporary));
    }
  }
  try {
    rename_durably(temporary, path);
  } catch (const UserError&) {
    std::remove(temporary.c_str());
    throw;
  }
}

}  // namespace scorch
