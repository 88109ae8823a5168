#pragma once
// A PNG contact sheet of uint8 images, for looking at samples.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>

namespace scorch::data {

// Tiles uint8 [N, C, H, W] images (C = 1 grey or 3 RGB) row by row, `columns`
// wide (0: about √N), with a 2-pixel border, and writes a PNG atomically.
void write_image_grid(const std::string& path, const at::Tensor& images, std::int64_t columns = 0);

}  // namespace scorch::data
