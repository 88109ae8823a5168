#include "data/zip_reader.h"

#include "common/user_error.h"

#include <algorithm>

namespace scorch::data {
namespace {

struct EntryCloser {
  void operator()(zip_file_t* entry) const { zip_fclose(entry); }
};
using Entry = std::unique_ptr<zip_file_t, EntryCloser>;

}  // namespace

ZipReader::ZipReader(const std::string& path, const std::string& expected) : path_(path) {
  int code = 0;
  archive_.reset(zip_open(path.c_str(), ZIP_RDONLY, &code));
  if (archive_) return;
  if (code == ZIP_ER_NOZIP) throw UserError(path + ": not a zip archive (" + expected + ")");
  if (code == ZIP_ER_NOENT) throw UserError(path + ": no such file");
  // Initialised right after the failure, so that system errors pick up errno.
  zip_error_t error;
  zip_error_init_with_code(&error, code);
  const std::string message = zip_error_strerror(&error);
  zip_error_fini(&error);
  throw UserError(path + ": cannot open (" + message + ")");
}

std::vector<std::string> ZipReader::entry_names() const {
  std::vector<std::string> names;
  const zip_int64_t count = zip_get_num_entries(archive_.get(), 0);
  for (zip_int64_t i = 0; i < count; ++i) {
    const char* name = zip_get_name(archive_.get(), static_cast<zip_uint64_t>(i), 0);
    if (!name) throw UserError(path_ + ": cannot read the entry names (" + zip_strerror(archive_.get()) + ")");
    names.emplace_back(name);
  }
  return names;
}

std::optional<std::uint64_t> ZipReader::find(const std::string& entry) const {
  const zip_int64_t index = zip_name_locate(archive_.get(), entry.c_str(), 0);
  if (index < 0) return std::nullopt;
  return static_cast<std::uint64_t>(index);
}

std::string ZipReader::read(const std::string& entry) const {
  const std::optional<std::uint64_t> index = find(entry);
  if (!index) throw UserError(path_ + ": no entry " + entry + " (truncated or not written by this format)");
  return read(*index);
}

// Reads until libzip reports the end, because only then does it compare the
// CRC and the stored size: a damaged entry fails here rather than in parsing.
std::string ZipReader::read(std::uint64_t index) const {
  const char* name = zip_get_name(archive_.get(), index, 0);
  const std::string where = path_ + ": " + (name ? name : "?");
  zip_stat_t stat;
  zip_stat_init(&stat);
  if (zip_stat_index(archive_.get(), index, 0, &stat) != 0 || !(stat.valid & ZIP_STAT_SIZE)) {
    throw UserError(where + ": cannot read the entry's size (" + zip_strerror(archive_.get()) + ")");
  }
  const Entry entry(zip_fopen_index(archive_.get(), index, 0));
  if (!entry) throw UserError(where + ": cannot open (" + zip_strerror(archive_.get()) + ")");
  // The stated size is only a hint to reserve by: a corrupt one must not trigger a huge allocation.
  constexpr zip_uint64_t kMaxReserve = zip_uint64_t{1} << 26;
  std::string bytes;
  bytes.reserve(static_cast<std::size_t>(std::min(stat.size, kMaxReserve)));
  std::vector<char> chunk(std::size_t{1} << 20);
  for (;;) {
    const zip_int64_t count = zip_fread(entry.get(), chunk.data(), chunk.size());
    if (count < 0) throw UserError(where + ": cannot read (" + zip_file_strerror(entry.get()) + ")");
    if (count == 0) break;
    if (bytes.size() + static_cast<zip_uint64_t>(count) > stat.size) {
      throw UserError(where + ": longer than the archive's directory says");
    }
    bytes.append(chunk.data(), static_cast<std::size_t>(count));
  }
  if (bytes.size() != stat.size) throw UserError(where + ": truncated");
  return bytes;
}

}  // namespace scorch::data
