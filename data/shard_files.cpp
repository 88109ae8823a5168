#include "data/shard_files.h"

#include "common/user_error.h"
#include "data/tensor_archive.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

namespace scorch::data {
namespace {

std::int64_t first_index_of(const std::string& file) {
  const std::optional<std::string> text = find_root_text_attribute(file, kShardFirstIndexAttribute);
  if (!text) throw UserError(fmt::format("{}: a shard without the attribute {}", file, kShardFirstIndexAttribute));
  try {
    std::size_t used = 0;
    const std::int64_t first = std::stoll(*text, &used);
    if (used == text->size() && first >= 0) return first;
  } catch (const std::exception&) {
  }
  throw UserError(fmt::format("{}: attribute {} is not a row number: '{}'", file, kShardFirstIndexAttribute, *text));
}

// Rows after `previous` must begin where the previous shard ended.
void require_abutting(const std::string& file, std::int64_t first, std::int64_t expected) {
  if (first != expected) {
    throw UserError(fmt::format("{}: this shard starts at row {}, but the shards before it end at row {} "
                                "(a shard is missing or left over from another run)",
                                file, first, expected));
  }
}

// A set whose shards record total_rows must hold that many.
void require_complete(const std::string& directory, const std::string& first_file, std::int64_t rows) {
  const std::optional<std::string> total = find_root_text_attribute(first_file, kShardTotalRowsAttribute);
  if (total && std::to_string(rows) != *total) {
    throw UserError(fmt::format("{}: the shards hold rows [0, {}) of {}; the later shards are missing (an "
                                "unfinished evaluation?)",
                                directory, rows, *total));
  }
}

}  // namespace

bool is_current_shard(const std::string& path, const std::string& fingerprint) {
  try {
    return find_root_text_attribute(path, kShardFingerprintAttribute) == fingerprint;
  } catch (const UserError&) {
    return false;
  }
}

std::vector<std::pair<std::int64_t, std::string>> ordered_shard_files(const std::string& directory) {
  std::vector<std::pair<std::int64_t, std::string>> shards;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    if (entry.is_regular_file() && entry.path().extension() == ".h5") {
      shards.emplace_back(first_index_of(entry.path().string()), entry.path().string());
    }
  }
  if (shards.empty()) throw UserError(directory + ": a directory without shard files (*.h5)");
  std::sort(shards.begin(), shards.end());
  require_abutting(shards.front().second, shards.front().first, 0);
  return shards;
}

ImageSource::ImageSource(std::string path) : path_(std::move(path)) {
  std::vector<std::string> files;
  const bool sharded = std::filesystem::is_directory(path_);
  if (sharded) {
    for (auto& [first, file] : ordered_shard_files(path_)) files.push_back(file);
  } else {
    files.push_back(path_);
  }
  std::int64_t rows = 0;
  for (const std::string& file : files) {
    auto part = std::make_unique<DatasetFile>(file);
    const DatasetShape& shape = part->shape();
    if (sharded) {
      require_abutting(file, first_index_of(file), rows);
      if (!parts_.empty() && (shape.channels != shape_.channels || shape.height != shape_.height ||
                              shape.width != shape_.width)) {
        throw UserError(fmt::format("{}: images of [{}, {}, {}], the shards before it hold [{}, {}, {}]", file,
                                    shape.channels, shape.height, shape.width, shape_.channels, shape_.height,
                                    shape_.width));
      }
    }
    shape_ = shape;
    firsts_.push_back(rows);
    rows += shape.count;
    parts_.push_back(std::move(part));
  }
  firsts_.push_back(rows);
  shape_.count = rows;
  if (sharded) require_complete(path_, files.front(), rows);
}

at::Tensor ImageSource::read_images(std::int64_t start, std::int64_t count) {
  if (start < 0 || count < 0 || start + count > shape_.count) {
    throw UserError(fmt::format("{}: rows [{}, {}) are outside the {} images", path_, start, start + count, shape_.count));
  }
  std::vector<at::Tensor> pieces;
  const auto part_of = [&](std::int64_t row) {
    return static_cast<std::size_t>(std::upper_bound(firsts_.begin(), firsts_.end(), row) - firsts_.begin() - 1);
  };
  for (std::int64_t row = start, end = start + count; row < end;) {
    const std::size_t k = part_of(row);
    const std::int64_t take = std::min(end, firsts_[k + 1]) - row;
    pieces.push_back(parts_[k]->read_images(row - firsts_[k], take));
    row += take;
  }
  if (pieces.size() == 1) return pieces.front();
  if (pieces.empty()) return at::empty({0, shape_.channels, shape_.height, shape_.width}, at::kByte);
  return at::cat(pieces);
}

at::Tensor read_vector_samples(const std::string& path) {
  if (!std::filesystem::is_directory(path)) return read_tensor(path, "samples");
  std::vector<at::Tensor> pieces;
  std::int64_t rows = 0;
  const auto files = ordered_shard_files(path);
  for (const auto& [first, file] : files) {
    require_abutting(file, first, rows);
    pieces.push_back(read_tensor(file, "samples"));
    rows += pieces.back().size(0);
  }
  require_complete(path, files.front().second, rows);
  return at::cat(pieces);
}

}  // namespace scorch::data
