#include "common/user_error.h"
#include "data/pixel_range.h"
#include "evaluation/likelihood/bits_per_dim.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <cmath>

namespace scorch {
namespace {

using data::PixelRange;

TEST(PixelRange, MapsToModelRangeAndBack) {
  const at::Tensor pixels = at::arange(256, at::kLong).to(at::kByte);
  const at::Tensor unit = data::pixels_to_range(pixels, PixelRange::unit);
  const at::Tensor symmetric = data::pixels_to_range(pixels, PixelRange::symmetric);
  EXPECT_FLOAT_EQ(unit[255].item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(symmetric[0].item<float>(), -1.0f);
  EXPECT_FLOAT_EQ(symmetric[255].item<float>(), 1.0f);
  EXPECT_TRUE(at::equal(data::range_to_pixels(unit, PixelRange::unit), pixels));
  EXPECT_TRUE(at::equal(data::range_to_pixels(symmetric, PixelRange::symmetric), pixels));
  EXPECT_EQ(data::range_to_pixels(at::tensor({-3.0, 7.0}), PixelRange::unit)[1].item<uint8_t>(), 255);
}

TEST(PixelRange, RoundsAsEdmOrTruncatesAsScoreSde) {
  // 0.7 and 254.6 levels: EDM's rounding gives 1 and 255, score_sde's cast 0 and 254.
  const at::Tensor x = at::tensor({0.7 / 255.0, 254.6 / 255.0, 1.5, -0.1}, at::kDouble);
  const at::Tensor rounded = data::range_to_pixels(x, PixelRange::unit, data::PixelQuantization::round);
  const at::Tensor truncated = data::range_to_pixels(x, PixelRange::unit, data::PixelQuantization::truncate);
  EXPECT_TRUE(at::equal(rounded, at::tensor({1, 255, 255, 0}).to(at::kByte))) << rounded;
  EXPECT_TRUE(at::equal(truncated, at::tensor({0, 254, 255, 0}).to(at::kByte))) << truncated;
  // Symmetric range: score_sde maps x to (x + 1)/2 first.
  EXPECT_EQ(data::range_to_pixels(at::tensor({0.0}), PixelRange::symmetric, data::PixelQuantization::truncate)
                .item<uint8_t>(),
            127);
  EXPECT_EQ(data::parse_pixel_quantization("truncate"), data::PixelQuantization::truncate);
  EXPECT_THROW(data::parse_pixel_quantization("floor"), UserError);
}

TEST(PixelRange, DequantizationFillsEachBin) {
  const at::Tensor pixels = at::tensor({0, 17, 255}, at::kByte);
  const at::Tensor low = data::dequantize(pixels, at::zeros({3}, at::kDouble), PixelRange::unit);
  const at::Tensor high = data::dequantize(pixels, at::full({3}, 1.0 - 1e-12, at::kDouble), PixelRange::unit);
  EXPECT_TRUE(at::allclose(low, at::tensor({0.0, 17.0 / 256, 255.0 / 256}, at::kDouble)));
  EXPECT_TRUE(at::allclose(high - low, at::full({3}, 1.0 / 256, at::kDouble), 0, 1e-10));
  const at::Tensor sym = data::dequantize(pixels, at::full({3}, 0.5, at::kDouble), PixelRange::symmetric);
  EXPECT_TRUE(at::allclose(sym, 2.0 * (pixels.to(at::kDouble) + 0.5) / 256 - 1.0));
}

// Uniformly dequantized 8-bit data with a uniform model density over the range
// has exactly 8 bits/dim: log p(z) = −D log(width), whatever the range.
TEST(BitsPerDim, UniformModelGivesEightBits) {
  const int64_t dim = 3072;
  const at::Tensor unit_ll = at::zeros({1}, at::kDouble);  // density 1 on [0,1]^D
  EXPECT_NEAR(evaluation::bits_per_dim(unit_ll, dim, PixelRange::unit).item<double>(), 8.0, 1e-12);
  const at::Tensor symmetric_ll = at::full({1}, -dim * std::log(2.0), at::kDouble);  // density 2^−D on [−1,1]^D
  EXPECT_NEAR(evaluation::bits_per_dim(symmetric_ll, dim, PixelRange::symmetric).item<double>(), 8.0, 1e-12);
  EXPECT_DOUBLE_EQ(data::log2_range_jacobian(PixelRange::symmetric), -1.0);
}

}  // namespace
}  // namespace scorch
