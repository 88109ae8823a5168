#include "data/source_formats.h"

#include "common/user_error.h"

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <zlib.h>

#include <filesystem>
#include <memory>

namespace scorch::data {
namespace {

// gzread reads plain files transparently, so one reader serves both.
class ByteReader {
 public:
  explicit ByteReader(const std::string& path) : path_(path), file_(gzopen(path.c_str(), "rb")) {
    if (file_ == nullptr) throw UserError(path + ": cannot open");
  }
  ~ByteReader() { gzclose(file_); }
  void read(void* buffer, std::size_t size, const std::string& what) {
    std::size_t done = 0;
    while (done < size) {
      const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(size - done, 1u << 30));
      const int n = gzread(file_, static_cast<char*>(buffer) + done, chunk);
      if (n <= 0) throw UserError(fmt::format("{}: truncated or corrupt while reading {}", path_, what));
      done += static_cast<std::size_t>(n);
    }
  }
  std::uint32_t read_big_endian_u32(const std::string& what) {
    unsigned char b[4];
    read(b, 4, what);
    return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) | b[3];
  }
  bool at_end() {
    char c;
    return gzread(file_, &c, 1) <= 0;
  }

 private:
  std::string path_;
  gzFile file_;
};

// idx header: two zero bytes, a type byte (0x08 = ubyte) and a rank byte, then big-endian dims.
std::vector<std::int64_t> read_idx_header(ByteReader& reader, const std::string& path, std::uint32_t expected_rank) {
  const std::uint32_t magic = reader.read_big_endian_u32("the idx header");
  if ((magic >> 8) != 0x08 || (magic & 0xff) != expected_rank) {
    throw UserError(fmt::format("{}: not an idx ubyte file of rank {} (magic 0x{:08x})", path, expected_rank, magic));
  }
  std::vector<std::int64_t> dims;
  for (std::uint32_t i = 0; i < expected_rank; ++i) dims.push_back(reader.read_big_endian_u32("the idx header"));
  return dims;
}

}  // namespace

at::Tensor read_idx_images(const std::string& path) {
  ByteReader reader(path);
  const auto dims = read_idx_header(reader, path, 3);
  at::Tensor images = at::empty({dims[0], 1, dims[1], dims[2]}, at::kByte);
  reader.read(images.data_ptr<std::uint8_t>(), static_cast<std::size_t>(images.numel()), "the pixels");
  if (!reader.at_end()) throw UserError(path + ": trailing bytes after the declared images");
  return images;
}

at::Tensor read_idx_labels(const std::string& path) {
  ByteReader reader(path);
  const auto dims = read_idx_header(reader, path, 1);
  at::Tensor labels = at::empty({dims[0]}, at::kByte);
  reader.read(labels.data_ptr<std::uint8_t>(), static_cast<std::size_t>(labels.numel()), "the labels");
  return labels.to(at::kLong);
}

std::string find_with_optional_gz(const std::string& directory, const std::string& name) {
  for (const std::string& candidate : {name, name + ".gz"}) {
    const auto path = std::filesystem::path(directory) / candidate;
    if (std::filesystem::exists(path)) return path.string();
  }
  throw UserError(fmt::format("{}: no {} or {}.gz", directory, name, name));
}

LabelledImages read_cifar10_batches(const std::vector<std::string>& paths) {
  constexpr std::int64_t kRecord = 1 + 3 * 32 * 32;
  std::vector<at::Tensor> records;
  for (const auto& path : paths) {
    std::error_code error;
    const auto size = std::filesystem::file_size(path, error);
    if (error) throw UserError(path + ": cannot open");
    if (size == 0 || size % kRecord != 0) {
      throw UserError(fmt::format("{}: size {} is not a whole number of CIFAR-10 records ({} bytes)", path, size, kRecord));
    }
    at::Tensor bytes = at::empty({static_cast<std::int64_t>(size / kRecord), kRecord}, at::kByte);
    ByteReader reader(path);
    reader.read(bytes.data_ptr<std::uint8_t>(), size, "the records");
    records.push_back(bytes);
  }
  const at::Tensor all = at::cat(records);
  LabelledImages out;
  out.labels = all.select(1, 0).to(at::kLong);
  out.images = all.slice(1, 1).reshape({-1, 3, 32, 32}).contiguous();
  if ((out.labels > 9).any().item<bool>()) throw UserError(paths.front() + ": label byte above 9: not CIFAR-10 binary");
  out.class_names = {"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"};
  return out;
}

}  // namespace scorch::data
