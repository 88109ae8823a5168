#pragma once
// PNG/JPEG folders: images directly under the root (no labels), or in one
// sub-folder per class (labels are the sorted class folder indices).
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

namespace scorch::data {

struct ImageFolderListing {
  std::vector<std::string> files;
  std::vector<std::int64_t> labels;      // empty without class folders
  std::vector<std::string> class_names;  // sorted folder names
};

struct ImageLoadOptions {
  int channels = 3;          // 1 (grey) or 3 (RGB)
  bool center_crop = false;  // crop to the largest centred square first
  std::int64_t size = 0;     // resize to size x size (0 keeps the decoded size)
};

ImageFolderListing list_image_folder(const std::string& root);

// uint8 [C, H, W]; a file that cannot be decoded is a UserError naming it.
at::Tensor load_image(const std::string& path, const ImageLoadOptions& options);

}  // namespace scorch::data
