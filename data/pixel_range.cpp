#include "data/pixel_range.h"

#include "common/user_error.h"

#include <ATen/ATen.h>

namespace scorch::data {
namespace {
at::Tensor unit_to_range(const at::Tensor& unit, PixelRange range) {
  return range == PixelRange::unit ? unit : 2.0 * unit - 1.0;
}
}  // namespace

PixelRange parse_pixel_range(const std::string& name) {
  if (name == "unit") return PixelRange::unit;
  if (name == "symmetric") return PixelRange::symmetric;
  throw UserError("unknown pixel range '" + name + "' (expected unit or symmetric)");
}

std::string to_string(PixelRange range) { return range == PixelRange::unit ? "unit" : "symmetric"; }

at::Tensor pixels_to_range(const at::Tensor& pixels, PixelRange range, at::ScalarType dtype) {
  return unit_to_range(pixels.to(dtype) / 255.0, range);
}

const std::vector<Named<PixelQuantization>>& pixel_quantization_table() {
  static const std::vector<Named<PixelQuantization>> table = {{PixelQuantization::round, "round"},
                                                               {PixelQuantization::truncate, "truncate"}};
  return table;
}

PixelQuantization parse_pixel_quantization(const std::string& name) {
  return row_named(pixel_quantization_table(), name, "pixel quantization").value;
}

std::string to_string(PixelQuantization quantization) { return row_of(pixel_quantization_table(), quantization).name; }

at::Tensor range_to_pixels(const at::Tensor& x, PixelRange range, PixelQuantization quantization) {
  const at::Tensor levels = (range == PixelRange::unit ? x : (x + 1.0) / 2.0).clamp(0.0, 1.0) * 255.0;
  // The cast to uint8 truncates; values are already in [0, 255].
  return (quantization == PixelQuantization::round ? at::round(levels) : levels).to(at::kByte);
}

at::Tensor dequantize(const at::Tensor& pixels, const at::Tensor& uniform_noise, PixelRange range) {
  return unit_to_range((pixels.to(uniform_noise.scalar_type()) + uniform_noise) / 256.0, range);
}

double log2_range_jacobian(PixelRange range) { return range == PixelRange::unit ? 0.0 : -1.0; }

}  // namespace scorch::data
