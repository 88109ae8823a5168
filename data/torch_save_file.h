#pragma once
// Files written by Python's torch.save, read without Python: the zip format
// (the default since PyTorch 1.6) and the legacy format before it, in which
// pytorch-fid's Inception weights and older checkpoints are distributed
// (docs/file-formats.md, "torch.save files"). Tensors come back as CPU
// tensors that share storage as they did when saved.
#include "data/python_pickle.h"

#include <ATen/core/Tensor.h>

#include <string>
#include <utility>
#include <vector>

namespace scorch::data {

enum class TorchSaveFormat { zip, legacy };

struct TorchSaveFile {
  PickleValue root;
  TorchSaveFormat format = TorchSaveFormat::zip;
};

// A truncated, damaged or foreign file is a UserError naming `path`.
TorchSaveFile read_torch_save(const std::string& path);

// Writes `root` as torch.save writes its zip format (PyTorch 1.6 and later
// load it): one storage per tensor, stored uncompressed on 64-byte
// boundaries, through a temporary renamed into place. Tensors are saved
// contiguous and on the CPU; UserError if the file cannot be written.
void write_torch_save(const std::string& path, const PickleValue& root);

// collections.OrderedDict(entries), the type of a state dict, for the writer;
// the reader gives it back as a dict.
PickleValue ordered_dict(PickleValue::Dict entries);

// The (name, tensor) entries of a state dict, in file order; anything but a
// dict of string keys and tensors is a UserError naming `what`.
std::vector<std::pair<std::string, at::Tensor>> state_dict_tensors(const PickleValue& value, const std::string& what);

}  // namespace scorch::data
