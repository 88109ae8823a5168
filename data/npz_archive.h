#pragma once
// numpy's .npz archives (np.savez, np.savez_compressed): a zip of .npy files,
// the format in which TTUR and pytorch-fid ship reference statistics.
#include <ATen/core/Tensor.h>

#include <map>
#include <string>

namespace scorch::data {

// Every array of the archive, keyed by its entry name without ".npy", as a
// contiguous CPU tensor of the stored type: little-endian float32, float64,
// int32, int64, uint8 or bool. Other entries are ignored; an archive without
// any .npy entry, another dtype or a damaged entry is a UserError naming `path`.
std::map<std::string, at::Tensor> read_npz(const std::string& path);

// Writes the arrays (CPU or not; float32, float64, int32, int64, uint8 or
// bool) as `name`.npy entries, deflated as np.savez_compressed does when
// `compressed`, through a temporary renamed into place.
void write_npz(const std::string& path, const std::map<std::string, at::Tensor>& arrays, bool compressed);

// The bytes of a .npy file (format version 1.0) holding `tensor`.
std::string npy_bytes(const at::Tensor& tensor);

// One .npy payload (the whole bytes of a .npy file, format version 1 to 3);
// `name` starts every error message.
at::Tensor parse_npy(const std::string& bytes, const std::string& name);

}  // namespace scorch::data
