#include "data/hdf5_tensor.h"

#include "common/user_error.h"
#include "data/hdf5_library.h"

#include <ATen/ATen.h>

#include <vector>

namespace scorch::data {

void write_tensor_dataset(hid_t parent, const std::string& name, const at::Tensor& tensor, const std::string& file) {
  Hdf5Lock lock;
  const at::Tensor data = tensor.detach().to(at::kCPU).contiguous();
  hid_t file_type, memory_type;
  switch (data.scalar_type()) {
    case at::kFloat: file_type = H5T_IEEE_F32LE; memory_type = H5T_NATIVE_FLOAT; break;
    case at::kDouble: file_type = H5T_IEEE_F64LE; memory_type = H5T_NATIVE_DOUBLE; break;
    case at::kLong: file_type = H5T_STD_I64LE; memory_type = H5T_NATIVE_INT64; break;
    case at::kByte: file_type = H5T_STD_U8LE; memory_type = H5T_NATIVE_UINT8; break;
    default: throw UserError("cannot store tensor " + name + " of type " + std::string(c10::toString(data.scalar_type())));
  }
  const std::vector<hsize_t> dims(data.sizes().begin(), data.sizes().end());
  const Hdf5Id space = checked_id(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), file,
                                  "cannot create dataspace for " + name);
  const Hdf5Id dataset = checked_id(
      H5Dcreate2(parent, name.c_str(), file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), file,
      "cannot create dataset " + name);
  if (data.numel() > 0) {
    check_hdf5(H5Dwrite(dataset.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data_ptr()), file,
               "cannot write " + name + " (disk full?)");
  }
}

}  // namespace scorch::data
