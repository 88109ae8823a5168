#include "data/image_grid.h"

#include "common/durable_file.h"
#include "common/user_error.h"

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <stb/stb_image_write.h>

#include <cmath>
#include <cstdio>

namespace scorch::data {

void write_image_grid(const std::string& path, const at::Tensor& images, std::int64_t columns) {
  if (images.scalar_type() != at::kByte || images.dim() != 4 || (images.size(1) != 1 && images.size(1) != 3) ||
      images.size(0) == 0) {
    throw UserError(path + ": an image grid needs uint8 [N, 1 or 3, H, W] images");
  }
  constexpr std::int64_t kBorder = 2;
  const std::int64_t n = images.size(0), channels = images.size(1), h = images.size(2), w = images.size(3);
  if (columns <= 0) columns = static_cast<std::int64_t>(std::ceil(std::sqrt(static_cast<double>(n))));
  const std::int64_t rows = (n + columns - 1) / columns;
  const std::int64_t height = rows * (h + kBorder) + kBorder, width = columns * (w + kBorder) + kBorder;
  at::Tensor canvas = at::zeros({height, width, channels}, at::kByte);
  const at::Tensor hwc = images.permute({0, 2, 3, 1}).cpu();
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t top = kBorder + (i / columns) * (h + kBorder), left = kBorder + (i % columns) * (w + kBorder);
    canvas.slice(0, top, top + h).slice(1, left, left + w).copy_(hwc[i]);
  }
  canvas = canvas.contiguous();
  const std::string partial = path + ".partial";
  if (stbi_write_png(partial.c_str(), static_cast<int>(width), static_cast<int>(height), static_cast<int>(channels),
                     canvas.data_ptr<std::uint8_t>(), static_cast<int>(width * channels)) == 0) {
    std::remove(partial.c_str());
    throw UserError(path + ": cannot write the PNG (does the directory exist and is it writable?)");
  }
  rename_durably(partial, path);
}

}  // namespace scorch::data
