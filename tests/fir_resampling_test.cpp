#include "common/random_stream.h"
#include "models/fir_resampling.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace scorch::models {
namespace {

at::Tensor random_images(std::vector<std::int64_t> shape, std::uint64_t step) {
  at::Generator generator = make_generator({11, RandomPurpose::test, step}, 0);
  return at::randn(shape, generator, at::kDouble);
}

// upfirdn2d straight from its definition, one scalar at a time: zero-insert,
// pad (negative crops), true 2-D convolution over the valid range, decimate.
at::Tensor upfirdn2d_by_loops(const at::Tensor& x, const at::Tensor& kernel, std::int64_t up, std::int64_t down,
                              std::int64_t pad0, std::int64_t pad1) {
  const std::int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  const std::int64_t kh = kernel.size(0), kw = kernel.size(1);
  const std::int64_t padded_h = H * up + pad0 + pad1, padded_w = W * up + pad0 + pad1;
  const std::int64_t out_h = (padded_h - kh) / down + 1, out_w = (padded_w - kw) / down + 1;
  auto padded = [&](std::int64_t n, std::int64_t c, std::int64_t p, std::int64_t q) {
    const std::int64_t u = p - pad0, v = q - pad0;  // position in the zero-inserted image
    if (u < 0 || v < 0 || u >= H * up || v >= W * up || u % up != 0 || v % up != 0) return 0.0;
    return x[n][c][u / up][v / up].item<double>();
  };
  at::Tensor out = at::zeros({N, C, out_h, out_w}, at::kDouble);
  for (std::int64_t n = 0; n < N; ++n)
    for (std::int64_t c = 0; c < C; ++c)
      for (std::int64_t a = 0; a < out_h; ++a)
        for (std::int64_t b = 0; b < out_w; ++b) {
          double sum = 0.0;
          for (std::int64_t i = 0; i < kh; ++i)
            for (std::int64_t j = 0; j < kw; ++j)
              sum += kernel[i][j].item<double>() * padded(n, c, a * down + kh - 1 - i, b * down + kw - 1 - j);
          out[n][c][a][b] = sum;
        }
  return out;
}

TEST(FirResampling, Upfirdn2dMatchesTheDefinition) {
  const at::Tensor x = random_images({2, 2, 5, 6}, 0);
  // A non-square, asymmetric kernel exposes any flip or transpose.
  const at::Tensor kernel = random_images({1, 1, 3, 2}, 1)[0][0];
  struct Case { std::int64_t up, down, pad0, pad1; };
  for (const Case& c : {Case{1, 1, 0, 0}, Case{1, 2, 1, 1}, Case{2, 1, 2, 1}, Case{2, 2, -1, 2}, Case{3, 2, 1, -1}}) {
    const at::Tensor expected = upfirdn2d_by_loops(x, kernel, c.up, c.down, c.pad0, c.pad1);
    const at::Tensor actual = upfirdn2d(x, kernel, c.up, c.down, c.pad0, c.pad1);
    ASSERT_EQ(actual.sizes(), expected.sizes()) << "up " << c.up << " down " << c.down;
    EXPECT_TRUE(at::allclose(actual, expected, 1e-12, 1e-12)) << "up " << c.up << " down " << c.down;
  }
}

TEST(FirResampling, DownsampleIsTheWeightedBinomialAverage) {
  const at::Tensor x = random_images({1, 1, 6, 6}, 2);
  const at::Tensor out = fir_downsample_2d(x, {1, 3, 3, 1});
  ASSERT_EQ(out.sizes(), (std::vector<std::int64_t>{1, 1, 3, 3}));
  const double taps[4] = {1, 3, 3, 1};
  for (std::int64_t a = 0; a < 3; ++a)
    for (std::int64_t b = 0; b < 3; ++b) {
      double sum = 0.0;
      for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j) {
          const std::int64_t p = 2 * a - 1 + i, q = 2 * b - 1 + j;  // one pixel of zero padding each side
          if (p >= 0 && q >= 0 && p < 6 && q < 6) sum += taps[i] * taps[j] * x[0][0][p][q].item<double>() / 64.0;
        }
      EXPECT_NEAR(out[0][0][a][b].item<double>(), sum, 1e-12);
    }
}

TEST(FirResampling, UpsampleKeepsAConstantImageConstantInside) {
  const at::Tensor out = fir_upsample_2d(at::full({1, 2, 4, 4}, 3.0, at::kDouble), {1, 3, 3, 1});
  ASSERT_EQ(out.sizes(), (std::vector<std::int64_t>{1, 2, 8, 8}));
  const at::Tensor inside = out.slice(2, 1, 7).slice(3, 1, 7);
  EXPECT_TRUE(at::allclose(inside, at::full_like(inside, 3.0), 1e-12, 1e-12));
  EXPECT_LT(out[0][0][0][0].item<double>(), 3.0);  // zero padding darkens the border
}

TEST(FirResampling, FusedUpsampleConvEqualsUpsampleThenConvAwayFromTheBorder) {
  const at::Tensor x = random_images({2, 3, 5, 5}, 3);
  const at::Tensor weight = random_images({4, 3, 3, 3}, 4);  // asymmetric, so a missing flip shows
  const at::Tensor fused = fir_upsample_conv_2d(x, weight, {1, 3, 3, 1});
  const at::Tensor separate = at::conv2d(fir_upsample_2d(x, {1, 3, 3, 1}), weight, {}, 1, 1);
  ASSERT_EQ(fused.sizes(), separate.sizes());
  // The fused op pads once, so only the one-pixel border may differ.
  EXPECT_TRUE(at::allclose(fused.slice(2, 1, 9).slice(3, 1, 9), separate.slice(2, 1, 9).slice(3, 1, 9), 1e-10, 1e-10));
  // And in full it is one upfirdn2d with the combined padding followed by a valid convolution.
  const at::Tensor kernel = fir_kernel_2d({1, 3, 3, 1}, 4.0, x);
  EXPECT_TRUE(at::allclose(fused, at::conv2d(upfirdn2d(x, kernel, 2, 1, 3, 2), weight), 1e-10, 1e-10));
}

TEST(FirResampling, FusedConvDownsampleEqualsFilterThenStridedConv) {
  const at::Tensor x = random_images({1, 2, 8, 8}, 5);
  const at::Tensor weight = random_images({3, 2, 3, 3}, 6);
  const at::Tensor fused = fir_conv_downsample_2d(x, weight, {1, 3, 3, 1});
  ASSERT_EQ(fused.sizes(), (std::vector<std::int64_t>{1, 3, 4, 4}));
  const at::Tensor filtered = upfirdn2d_by_loops(x, fir_kernel_2d({1, 3, 3, 1}, 1.0, x), 1, 1, 2, 2);
  EXPECT_TRUE(at::allclose(fused, at::conv2d(filtered, weight, {}, 2), 1e-10, 1e-10));
}

TEST(FirResampling, NaiveResamplingIsNearestAndBoxAverage) {
  const at::Tensor x = random_images({2, 3, 4, 6}, 7);
  EXPECT_TRUE(at::equal(naive_upsample_2d(x), at::upsample_nearest2d(x, {8, 12})));
  EXPECT_TRUE(at::allclose(naive_downsample_2d(x), at::avg_pool2d(x, 2, 2), 1e-12, 1e-12));
}

}  // namespace
}  // namespace scorch::models
