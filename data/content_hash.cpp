#include "data/content_hash.h"

#include <fmt/format.h>

namespace scorch::data {

void ContentHash::update(const void* data, std::size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  std::uint64_t h = state_;
  for (std::size_t i = 0; i < size; ++i) {
    h ^= bytes[i];
    h *= 0x100000001b3ULL;
  }
  state_ = h;
}

std::string ContentHash::hex() const { return fmt::format("fnv1a64:{:016x}", state_); }

}  // namespace scorch::data
