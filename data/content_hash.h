#pragma once
// FNV-1a 64 over a byte stream: cheap, dependency-free, and enough to tell
// whether a dataset's pixels or labels changed since conversion.
#include <cstddef>
#include <cstdint>
#include <string>

namespace scorch::data {

class ContentHash {
 public:
  void update(const void* data, std::size_t size);
  // "fnv1a64:" followed by 16 hex digits.
  std::string hex() const;
  std::uint64_t value() const { return state_; }

 private:
  std::uint64_t state_ = 0xcbf29ce484222325ULL;
};

}  // namespace scorch::data
