#pragma once
// Named tensors in HDF5 files, one dataset per name under a group: the layout
// of checkpoint parameter groups (docs/file-formats.md) and of the reference fixtures the
// network tests compare against. h5py reads and writes the same layout.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace scorch::data {

// One dataset ("/input", "/parameters/all_modules.0.W") as a CPU tensor:
// floating types as float32/float64, integers as int64.
at::Tensor read_tensor(const std::string& file, const std::string& dataset);

// Every dataset directly under `group`, keyed by its name within the group.
std::map<std::string, at::Tensor> read_tensor_group(const std::string& file, const std::string& group);

// Writes a new archive at `path` + ".partial" and, on commit(), flushes it to
// disk (fsync) and renames it into place, so `path` is either absent, the old
// file, or complete. Destroying an uncommitted writer removes the partial file.
class TensorArchiveWriter {
 public:
  explicit TensorArchiveWriter(std::string path);
  ~TensorArchiveWriter();
  TensorArchiveWriter(const TensorArchiveWriter&) = delete;
  TensorArchiveWriter& operator=(const TensorArchiveWriter&) = delete;

  // Datasets group/name for each tensor (float32, float64 or int64; copied to CPU).
  void write_group(const std::string& group, const std::map<std::string, at::Tensor>& tensors);
  // One dataset at the root.
  void write_tensor(const std::string& name, const at::Tensor& tensor);
  void write_text_attribute(const std::string& name, const std::string& value);
  void write_int_attribute(const std::string& name, std::int64_t value);
  void commit();

 private:
  std::string path_, partial_path_;
  std::int64_t file_ = -1;  // hid_t
  bool committed_ = false;
};

// The names of the links directly under `group`.
std::vector<std::string> list_group(const std::string& file, const std::string& group);

// A string attribute of the file's root group.
std::string read_root_text_attribute(const std::string& file, const std::string& name);
std::int64_t read_root_int_attribute(const std::string& file, const std::string& name);
// The same for an attribute that files of an older format lack.
std::optional<std::string> find_root_text_attribute(const std::string& file, const std::string& name);

}  // namespace scorch::data
