#pragma once
// The scorch dataset format (format_version 1), one HDF5 file per split:
//   /images  uint8 [N, C, H, W], chunked by whole images (about 64 KiB a chunk)
//   /labels  int64 [N]            (optional)
//   root attributes: format_version (int64), source, split, content_hash (strings),
//                    and class_names (newline-separated) where the source names classes
// content_hash is FNV-1a 64 over the image bytes, then the label bytes.
#include "data/content_hash.h"
#include "data/hdf5_library.h"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace scorch::data {

constexpr std::int64_t kDatasetFormatVersion = 1;

struct DatasetShape {
  std::int64_t count = 0;
  std::int64_t channels = 0;
  std::int64_t height = 0;
  std::int64_t width = 0;
  std::int64_t image_bytes() const { return channels * height * width; }
};

struct DatasetAttributes {
  std::int64_t format_version = 0;
  std::string source;
  std::string split;
  std::string content_hash;
};

// Writes a dataset to "<path>.partial" and renames it into place in finish(),
// so an interrupted conversion never leaves a plausible-looking file behind.
class DatasetWriter {
 public:
  DatasetWriter(std::string path, DatasetShape shape, bool with_labels, std::string source, std::string split);
  ~DatasetWriter();
  DatasetWriter(const DatasetWriter&) = delete;
  DatasetWriter& operator=(const DatasetWriter&) = delete;

  // Appends uint8 images [n, C, H, W] and, when the file has labels, int64 labels [n].
  void append(const at::Tensor& images, const at::Tensor& labels = {});
  std::int64_t written() const { return written_; }
  // An extra string attribute on the root, e.g. class_names.
  void set_text_attribute(const std::string& name, const std::string& value);
  // An extra dataset on the root beside /images, e.g. float samples; readers
  // of the format ignore it and it is not part of the content hash.
  void write_extra_dataset(const std::string& name, const at::Tensor& tensor);
  void finish();

 private:
  void create_layout(bool with_labels, const std::string& source, const std::string& split);

  std::string path_;
  std::string partial_path_;
  DatasetShape shape_;
  bool with_labels_;
  std::int64_t written_ = 0;
  bool finished_ = false;
  Hdf5Id file_;
  Hdf5Id images_;
  Hdf5Id labels_;
  std::vector<std::int64_t> label_buffer_;
  ContentHash hash_;  // images so far; labels are hashed after the last image
};

// Read access to a dataset file. Opening is lazy (first use) and validates the
// layout; every problem is a UserError naming the file.
class DatasetFile {
 public:
  explicit DatasetFile(std::string path);
  const std::string& path() const { return path_; }

  const DatasetShape& shape();
  bool has_labels();
  DatasetAttributes attributes();

  // uint8 [count, C, H, W] from consecutive rows.
  at::Tensor read_images(std::int64_t start, std::int64_t count);
  // uint8 [n, C, H, W] for arbitrary indices (any order, repeats allowed).
  at::Tensor read_images(const std::vector<std::int64_t>& indices);
  // int64 [count] / [n]; requires labels.
  at::Tensor read_labels(std::int64_t start, std::int64_t count);
  at::Tensor read_labels(const std::vector<std::int64_t>& indices);

  // Recomputes the content hash from the stored data.
  std::string compute_content_hash();

 private:
  void open();
  at::Tensor read_rows(const std::vector<std::int64_t>& indices, bool images);

  std::string path_;
  bool opened_ = false;
  Hdf5Id file_;
  Hdf5Id images_;
  Hdf5Id labels_;
  DatasetShape shape_;
};

}  // namespace scorch::data
