#pragma once
// A zip writer for torch.save's zip format: uncompressed entries whose data
// starts on a 64-byte boundary (PyTorch pads the local header's extra field
// for that, so that storages can be memory-mapped in place), written to a
// temporary and renamed into place when complete, so a killed job leaves no
// torn file. Archives past 4 GiB (ZIP64) are refused.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace scorch::data {

class StoredZipWriter {
 public:
  explicit StoredZipWriter(std::string path);
  ~StoredZipWriter();
  StoredZipWriter(const StoredZipWriter&) = delete;
  StoredZipWriter& operator=(const StoredZipWriter&) = delete;

  void add(const std::string& name, std::string_view data);
  // Writes the central directory, syncs and renames; UserError on failure.
  void finish();

 private:
  struct Entry {
    std::string name;
    std::uint32_t crc = 0;
    std::uint64_t size = 0, header_offset = 0;
  };
  void put(std::string_view bytes);
  std::string path_, temporary_;
  std::FILE* file_ = nullptr;
  std::uint64_t offset_ = 0;
  std::vector<Entry> entries_;
  bool finished_ = false;
};

}  // namespace scorch::data
