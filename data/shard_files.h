#pragma once
// Shard files (common/shard_plan.h) on disk: HDF5 files whose root attributes
// record where their rows begin (first_index) and the settings they were
// made under (fingerprint). `scorch evaluate` keeps its samples and its
// likelihood results this way (docs/file-formats.md#shards), and every tool
// that reads images for features takes a shard directory as well as a file.
#include "data/dataset_file.h"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace scorch::data {

// The root attribute a shard's first global row is kept in (decimal text).
inline constexpr const char* kShardFirstIndexAttribute = "first_index";
// The root attribute holding the number of rows of the whole set (decimal
// text), so that a reader can tell a set missing its last shards.
inline constexpr const char* kShardTotalRowsAttribute = "total_rows";
// The root attribute naming the settings a shard was made under.
inline constexpr const char* kShardFingerprintAttribute = "fingerprint";

// Whether `path` is a readable shard made under `fingerprint`; a torn or
// foreign file is simply not current (it is redone), never an error.
bool is_current_shard(const std::string& path, const std::string& fingerprint);

// The *.h5 files of `directory` with their first rows, in row order; UserError
// for an empty directory, a file without first_index, or a set that does not
// start at row 0. Whether the shards abut, and reach total_rows, is up to
// the reader, which knows their sizes.
std::vector<std::pair<std::int64_t, std::string>> ordered_shard_files(const std::string& directory);

// The images of a dataset file, or of a directory of dataset-file shards.
class ImageSource {
 public:
  explicit ImageSource(std::string path);
  const std::string& path() const { return path_; }
  // count is the total over the shards.
  const DatasetShape& shape() const { return shape_; }
  // uint8 [count, C, H, W] from consecutive rows, across shard boundaries.
  at::Tensor read_images(std::int64_t start, std::int64_t count);

 private:
  std::string path_;
  DatasetShape shape_;
  std::vector<std::int64_t> firsts_;  // each part's first row, then the total
  std::vector<std::unique_ptr<DatasetFile>> parts_;
};

// The float /samples of a vector (toy) sample file, or of a directory of such
// shards, concatenated in row order: float32 [N, ...].
at::Tensor read_vector_samples(const std::string& path);

}  // namespace scorch::data
