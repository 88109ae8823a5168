#include "data/tensor_archive.h"

#include "common/user_error.h"
#include "data/hdf5_library.h"

#include <ATen/ATen.h>

#include <vector>

namespace scorch::data {
namespace {

Hdf5Id open_file(const std::string& file) {
  return checked_id(H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), file, "cannot open");
}

at::Tensor read_dataset(hid_t parent, const std::string& name, const std::string& file) {
  const Hdf5Id dataset = checked_id(H5Dopen2(parent, name.c_str(), H5P_DEFAULT), file, "no dataset " + name);
  const Hdf5Id space = checked_id(H5Dget_space(dataset.get()), file, "no dataspace for " + name);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0) throw UserError(file + ": cannot read the shape of " + name);
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  const std::vector<std::int64_t> shape(dims.begin(), dims.end());

  const Hdf5Id type = checked_id(H5Dget_type(dataset.get()), file, "no type for " + name);
  at::ScalarType scalar_type;
  hid_t memory_type;
  switch (H5Tget_class(type.get())) {
    case H5T_FLOAT:
      scalar_type = H5Tget_size(type.get()) <= 4 ? at::kFloat : at::kDouble;
      memory_type = scalar_type == at::kFloat ? H5T_NATIVE_FLOAT : H5T_NATIVE_DOUBLE;
      break;
    case H5T_INTEGER:
      scalar_type = at::kLong;
      memory_type = H5T_NATIVE_INT64;
      break;
    default: throw UserError(file + ": dataset " + name + " is neither floating point nor integer");
  }
  at::Tensor tensor = at::empty(shape, at::TensorOptions().dtype(scalar_type));
  if (tensor.numel() > 0) {
    check_hdf5(H5Dread(dataset.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, tensor.data_ptr()), file,
               "cannot read " + name);
  }
  return tensor;
}

}  // namespace

at::Tensor read_tensor(const std::string& file, const std::string& dataset) {
  Hdf5Lock lock;
  const Hdf5Id handle = open_file(file);
  return read_dataset(handle.get(), dataset, file);
}

std::map<std::string, at::Tensor> read_tensor_group(const std::string& file, const std::string& group) {
  Hdf5Lock lock;
  const Hdf5Id handle = open_file(file);
  const Hdf5Id group_id = checked_id(H5Gopen2(handle.get(), group.c_str(), H5P_DEFAULT), file, "no group " + group);
  H5G_info_t info;
  check_hdf5(H5Gget_info(group_id.get(), &info), file, "cannot list " + group);
  std::map<std::string, at::Tensor> tensors;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t length =
        H5Lget_name_by_idx(group_id.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (length < 0) throw UserError(file + ": cannot list " + group);
    std::string name(static_cast<std::size_t>(length), '\0');
    H5Lget_name_by_idx(group_id.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size() + 1, H5P_DEFAULT);
    tensors.emplace(name, read_dataset(group_id.get(), name, file));
  }
  return tensors;
}

std::string read_root_text_attribute(const std::string& file, const std::string& name) {
  Hdf5Lock lock;
  const Hdf5Id handle = open_file(file);
  return read_string_attribute(handle.get(), name, file);
}

}  // namespace scorch::data
