#pragma once
// Mapping 8-bit pixels to the range a model sees: [0, 1] for VE models and
// [−1, 1] for VP/subVP models (docs/conventions.md §1), with the uniform
// dequantization used by likelihood evaluation (§3).
#include "common/name_table.h"

#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

namespace scorch::data {

enum class PixelRange { unit, symmetric };  // [0, 1] and [−1, 1]

PixelRange parse_pixel_range(const std::string& name);
std::string to_string(PixelRange range);

// How samples become 8-bit pixels: EDM rounds to the nearest level, score_sde
// truncates (x·255 cast to uint8), which darkens every pixel by half a level
// on average and moves FID (docs/comparable-numbers.md).
enum class PixelQuantization { round, truncate };
const std::vector<Named<PixelQuantization>>& pixel_quantization_table();
PixelQuantization parse_pixel_quantization(const std::string& name);
std::string to_string(PixelQuantization quantization);

// x/255 scaled into the range, float32 unless `dtype` says otherwise.
at::Tensor pixels_to_range(const at::Tensor& pixels, PixelRange range, at::ScalarType dtype = at::kFloat);
// Inverse of pixels_to_range, clamped to the range and quantised to uint8.
at::Tensor range_to_pixels(const at::Tensor& x, PixelRange range,
                           PixelQuantization quantization = PixelQuantization::round);
// y = (pixels + u)/256 with u ∈ [0, 1) of the same shape, scaled into the range.
at::Tensor dequantize(const at::Tensor& pixels, const at::Tensor& uniform_noise, PixelRange range);
// log2 |dy/dz| per dimension, y ∈ [0, 1] the dequantized value, z its image in
// the range: 0 for [0, 1], −1 for [−1, 1].
double log2_range_jacobian(PixelRange range);

}  // namespace scorch::data
