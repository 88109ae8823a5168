#pragma once
// Named tensors in HDF5 files, one dataset per name under a group: the layout
// of checkpoint parameter groups (DESIGN.md) and of the reference fixtures the
// network tests compare against. h5py reads and writes the same layout.
#include <ATen/core/Tensor.h>

#include <map>
#include <string>

namespace scorch::data {

// One dataset ("/input", "/parameters/all_modules.0.W") as a CPU tensor:
// floating types as float32/float64, integers as int64.
at::Tensor read_tensor(const std::string& file, const std::string& dataset);

// Every dataset directly under `group`, keyed by its name within the group.
std::map<std::string, at::Tensor> read_tensor_group(const std::string& file, const std::string& group);

// A string attribute of the file's root group.
std::string read_root_text_attribute(const std::string& file, const std::string& name);

}  // namespace scorch::data
