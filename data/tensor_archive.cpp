#include "data/tensor_archive.h"

#include "common/user_error.h"
#include "common/durable_file.h"
#include "data/hdf5_library.h"
#include "data/hdf5_tensor.h"

#include <ATen/ATen.h>


#include <cstdio>
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

namespace {

std::vector<std::string> link_names(hid_t group_id, const std::string& file, const std::string& group) {
  H5G_info_t info;
  check_hdf5(H5Gget_info(group_id, &info), file, "cannot list " + group);
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t length = H5Lget_name_by_idx(group_id, ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (length < 0) throw UserError(file + ": cannot list " + group);
    std::string name(static_cast<std::size_t>(length), '\0');
    H5Lget_name_by_idx(group_id, ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size() + 1, H5P_DEFAULT);
    names.push_back(name);
  }
  return names;
}

Hdf5Id open_group(const Hdf5Id& handle, const std::string& file, const std::string& group) {
  return checked_id(H5Gopen2(handle.get(), group.c_str(), H5P_DEFAULT), file, "no group " + group);
}

}  // namespace

std::vector<std::string> list_group(const std::string& file, const std::string& group) {
  Hdf5Lock lock;
  const Hdf5Id handle = open_file(file);
  return link_names(open_group(handle, file, group).get(), file, group);
}

std::map<std::string, at::Tensor> read_tensor_group(const std::string& file, const std::string& group) {
  Hdf5Lock lock;
  const Hdf5Id handle = open_file(file);
  const Hdf5Id group_id = open_group(handle, file, group);
  std::map<std::string, at::Tensor> tensors;
  for (const std::string& name : link_names(group_id.get(), file, group)) {
    tensors.emplace(name, read_dataset(group_id.get(), name, file));
  }
  return tensors;
}


std::string read_root_text_attribute(const std::string& file, const std::string& name) {
  Hdf5Lock lock;
  const Hdf5Id handle = open_file(file);
  return read_string_attribute(handle.get(), name, file);
}

std::optional<std::string> find_root_text_attribute(const std::string& file, const std::string& name) {
  Hdf5Lock lock;
  const Hdf5Id handle = open_file(file);
  if (!has_attribute(handle.get(), name)) return std::nullopt;
  return read_string_attribute(handle.get(), name, file);
}

std::int64_t read_root_int_attribute(const std::string& file, const std::string& name) {
  Hdf5Lock lock;
  const Hdf5Id handle = open_file(file);
  return read_int_attribute(handle.get(), name, file);
}

TensorArchiveWriter::TensorArchiveWriter(std::string path) : path_(std::move(path)), partial_path_(path_ + ".partial") {
  Hdf5Lock lock;
  const Hdf5Id access = checked_id(H5Pcreate(H5P_FILE_ACCESS), partial_path_, "cannot create file access list");
  // HDF5 1.8 format: h5py and older HDF5 releases read it.
  check_hdf5(H5Pset_libver_bounds(access.get(), H5F_LIBVER_V18, H5F_LIBVER_V18), partial_path_,
             "cannot set format bounds");
  file_ = H5Fcreate(partial_path_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access.get());
  if (file_ < 0) throw UserError(partial_path_ + ": cannot create" + hdf5_error_detail());
}

TensorArchiveWriter::~TensorArchiveWriter() {
  Hdf5Lock lock;
  if (file_ >= 0) H5Fclose(file_);
  if (!committed_) std::remove(partial_path_.c_str());
}

void TensorArchiveWriter::write_group(const std::string& group, const std::map<std::string, at::Tensor>& tensors) {
  Hdf5Lock lock;
  // "a/b" creates the intermediate group "a" as needed.
  const Hdf5Id link_list = checked_id(H5Pcreate(H5P_LINK_CREATE), partial_path_, "cannot create a property list");
  check_hdf5(H5Pset_create_intermediate_group(link_list.get(), 1), partial_path_, "cannot set group creation");
  const Hdf5Id group_id = checked_id(H5Gcreate2(file_, group.c_str(), link_list.get(), H5P_DEFAULT, H5P_DEFAULT),
                                     partial_path_, "cannot create group " + group);
  for (const auto& [name, tensor] : tensors) write_tensor_dataset(group_id.get(), name, tensor, partial_path_);
}

void TensorArchiveWriter::write_tensor(const std::string& name, const at::Tensor& tensor) {
  write_tensor_dataset(file_, name, tensor, partial_path_);
}

void TensorArchiveWriter::write_text_attribute(const std::string& name, const std::string& value) {
  write_string_attribute(file_, name, value, partial_path_);
}

void TensorArchiveWriter::write_int_attribute(const std::string& name, std::int64_t value) {
  data::write_int_attribute(file_, name, value, partial_path_);
}

void TensorArchiveWriter::commit() {
  {
    Hdf5Lock lock;
    check_hdf5(H5Fflush(file_, H5F_SCOPE_GLOBAL), partial_path_, "cannot flush");
    const herr_t closed = H5Fclose(file_);
    file_ = -1;
    check_hdf5(closed, partial_path_, "cannot close");
  }
  rename_durably(partial_path_, path_);
  committed_ = true;
}

}  // namespace scorch::data
