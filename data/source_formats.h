#pragma once
// Readers for the image formats `scorch data convert` imports. Each returns
// uint8 images [N, C, H, W] and int64 labels [N] (undefined when there are none).
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

namespace scorch::data {

struct LabelledImages {
  at::Tensor images;
  at::Tensor labels;
  std::vector<std::string> class_names;  // empty when labels are plain integers
};

// MNIST-style idx files; `path` may be gzip-compressed or not.
at::Tensor read_idx_images(const std::string& path);
at::Tensor read_idx_labels(const std::string& path);

// The first existing file among name and name.gz in directory; UserError otherwise.
std::string find_with_optional_gz(const std::string& directory, const std::string& name);

// CIFAR-10 binary batches: records of 1 label byte and 3072 pixel bytes (CHW).
LabelledImages read_cifar10_batches(const std::vector<std::string>& paths);

}  // namespace scorch::data
