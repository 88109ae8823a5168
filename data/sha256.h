#pragma once
// SHA-256 (FIPS 180-4), for checking downloaded weights against the hash
// prefix their file names carry (pytorch-fid's pt_inception-…-6726825d.pth).
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace scorch::data {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, std::size_t size);
  // The 64 lowercase hex digits; the object is spent afterwards.
  std::string hex();

 private:
  void compress(const unsigned char* block);

  std::array<std::uint32_t, 8> state_;
  std::array<unsigned char, 64> buffer_{};
  std::size_t buffered_ = 0;
  std::uint64_t length_ = 0;  // bytes hashed
};

// The hash of a whole file; a file that cannot be read is a UserError.
std::string sha256_of_file(const std::string& path);

}  // namespace scorch::data
