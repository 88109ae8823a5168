#pragma once
// `scorch data convert`: imports a source dataset into one scorch HDF5 file per split.
#include "data/image_folder.h"

#include <string>
#include <vector>

namespace scorch::data {

struct ConvertOptions {
  std::string format;      // fashion-mnist | mnist | cifar10 | image-folder
  std::string input;       // source directory
  std::string output_dir;  // receives <split>.h5
  std::string split = "train";  // image-folder only: the split name of its one file
  ImageLoadOptions image;       // image-folder only
};

const std::vector<std::string>& convert_formats();

// Writes the files and returns their paths.
std::vector<std::string> convert_dataset(const ConvertOptions& options);

}  // namespace scorch::data
