#pragma once
// Read-only access to the entries of a zip archive through libzip: numpy's
// .npz files and torch.save's zip format are both zips of plain entries.
#include <zip.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace scorch::data {

class ZipReader {
 public:
  // `expected` names the kind of file for the error when `path` is not a zip
  // ("numpy .npz expected").
  ZipReader(const std::string& path, const std::string& expected);

  std::vector<std::string> entry_names() const;
  // The whole entry, CRC-checked; a missing, damaged or truncated entry is a
  // UserError naming the path and the entry.
  std::string read(const std::string& entry) const;
  std::string read(std::uint64_t index) const;
  std::optional<std::uint64_t> find(const std::string& entry) const;

 private:
  struct Closer {
    // Discarding frees a read-only handle without zip_close's attempt to write changes back.
    void operator()(zip_t* archive) const { zip_discard(archive); }
  };
  std::string path_;
  std::unique_ptr<zip_t, Closer> archive_;
};

}  // namespace scorch::data
