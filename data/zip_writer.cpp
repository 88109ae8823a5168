#include "data/zip_writer.h"

#include "common/durable_file.h"
#include "common/user_error.h"

#include <fmt/format.h>
#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>

// Field layouts are those of PKWARE's APPNOTE.TXT (local file header 4.3.7,
// central directory header 4.3.12, end of central directory 4.3.16).
namespace scorch::data {
namespace {

constexpr std::uint64_t kAlignment = 64;
constexpr std::uint16_t kPaddingFieldId = 0x4246;  // "FB", the id PyTorch's writer pads with
constexpr std::uint16_t kVersion = 20;             // 2.0: stored entries, no ZIP64
// 1980-01-01 00:00, the earliest DOS date: fixed so that equal content gives equal bytes.
constexpr std::uint16_t kDosTime = 0;
constexpr std::uint16_t kDosDate = (1 << 5) | 1;

void le16(std::string& out, std::uint64_t value) {
  for (int i = 0; i < 2; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}
void le32(std::string& out, std::uint64_t value) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

}  // namespace

StoredZipWriter::StoredZipWriter(std::string path) : path_(std::move(path)), temporary_(path_ + ".partial") {
  file_ = std::fopen(temporary_.c_str(), "wb");
  if (file_ == nullptr) throw UserError(fmt::format("{}: cannot create: {}", temporary_, std::strerror(errno)));
}

StoredZipWriter::~StoredZipWriter() {
  if (file_ != nullptr) std::fclose(file_);
  if (!finished_) std::remove(temporary_.c_str());
}

void StoredZipWriter::put(std::string_view bytes) {
  if (std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size()) {
    throw UserError(fmt::format("{}: cannot write: {}", temporary_, std::strerror(errno)));
  }
  offset_ += bytes.size();
}

void StoredZipWriter::add(const std::string& name, std::string_view data) {
  constexpr std::uint64_t kLimit = std::numeric_limits<std::uint32_t>::max();
  if (offset_ + data.size() + 4096 >= kLimit) {
    throw UserError(fmt::format("{}: more than 4 GiB, which needs ZIP64 (not written by scorch)", path_));
  }
  Entry entry{name, static_cast<std::uint32_t>(crc32(0L, Z_NULL, 0)), data.size(), offset_};
  // zlib's crc32 takes at most 4 GiB per call, which the limit above keeps.
  entry.crc = static_cast<std::uint32_t>(
      crc32(entry.crc, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
  constexpr std::uint64_t kFixedHeader = 30;
  const std::uint64_t unpadded = offset_ + kFixedHeader + name.size() + 4;  // 4: the padding field's own header
  const std::uint64_t padding = (kAlignment - unpadded % kAlignment) % kAlignment;
  std::string header;
  le32(header, 0x04034b50);
  le16(header, kVersion);
  le16(header, 0);  // flags
  le16(header, 0);  // stored
  le16(header, kDosTime);
  le16(header, kDosDate);
  le32(header, entry.crc);
  le32(header, data.size());
  le32(header, data.size());
  le16(header, name.size());
  le16(header, 4 + padding);
  header += name;
  le16(header, kPaddingFieldId);
  le16(header, padding);
  header.append(padding, 'Z');
  put(header);
  put(data);
  entries_.push_back(std::move(entry));
}

void StoredZipWriter::finish() {
  if (entries_.size() >= 0xffff) throw UserError(fmt::format("{}: too many entries for a zip without ZIP64", path_));
  const std::uint64_t directory_offset = offset_;
  std::string directory;
  for (const Entry& e : entries_) {
    le32(directory, 0x02014b50);
    le16(directory, kVersion);  // made by
    le16(directory, kVersion);  // needed
    le16(directory, 0);
    le16(directory, 0);
    le16(directory, kDosTime);
    le16(directory, kDosDate);
    le32(directory, e.crc);
    le32(directory, e.size);
    le32(directory, e.size);
    le16(directory, e.name.size());
    le16(directory, 0);  // extra
    le16(directory, 0);  // comment
    le16(directory, 0);  // disk
    le16(directory, 0);  // internal attributes
    le32(directory, 0);  // external attributes
    le32(directory, e.header_offset);
    directory += e.name;
  }
  const std::uint64_t directory_size = directory.size();
  le32(directory, 0x06054b50);
  le16(directory, 0);
  le16(directory, 0);
  le16(directory, entries_.size());
  le16(directory, entries_.size());
  le32(directory, directory_size);
  le32(directory, directory_offset);
  le16(directory, 0);
  put(directory);
  const bool closed = std::fclose(file_) == 0;
  file_ = nullptr;
  if (!closed) throw UserError(fmt::format("{}: cannot write: {}", temporary_, std::strerror(errno)));
  rename_durably(temporary_, path_);
  finished_ = true;
}

}  // namespace scorch::data
