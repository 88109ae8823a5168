#pragma once
// One tensor as one HDF5 dataset: the writing half shared by the tensor archive
// (checkpoints, fixtures) and extra datasets in dataset-format files.
#include <ATen/core/Tensor.h>
#include <hdf5.h>

#include <string>

namespace scorch::data {

// Creates `name` under `parent` holding the tensor (float32, float64, int64 or
// uint8; copied to the CPU). `file` names the file in errors.
void write_tensor_dataset(hid_t parent, const std::string& name, const at::Tensor& tensor, const std::string& file);

}  // namespace scorch::data
