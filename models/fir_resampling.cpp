#include "models/fir_resampling.h"

#include "common/user_error.h"

#include <ATen/ATen.h>

namespace scorch::models {

at::Tensor fir_kernel_2d(const std::vector<double>& taps, double gain, const at::Tensor& like) {
  if (taps.empty()) throw UserError("a FIR kernel needs at least one tap");
  const at::Tensor k = at::tensor(taps, at::kDouble);
  const at::Tensor kernel = at::outer(k, k);
  const double total = kernel.sum().item<double>();
  if (total == 0.0) throw UserError("FIR kernel taps must not sum to zero");
  return (kernel * (gain / total)).to(like.options());
}

at::Tensor upfirdn2d(const at::Tensor& x, const at::Tensor& kernel, std::int64_t up, std::int64_t down,
                     std::int64_t pad_before, std::int64_t pad_after) {
  const std::int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  at::Tensor h = x.reshape({N * C, 1, H, W});
  if (up > 1) {
    // Each sample is followed by up-1 zeros along both axes.
    h = at::constant_pad_nd(h.reshape({N * C, 1, H, 1, W, 1}), {0, up - 1, 0, 0, 0, up - 1});
    h = h.reshape({N * C, 1, H * up, W * up});
  }
  h = at::constant_pad_nd(h, {pad_before, pad_after, pad_before, pad_after});
  // conv2d correlates; flipping makes it the convolution that upfirdn2d specifies.
  const at::Tensor filter = kernel.flip({0, 1}).reshape({1, 1, kernel.size(0), kernel.size(1)});
  h = at::conv2d(h, filter, {}, /*stride=*/{down, down});
  return h.reshape({N, C, h.size(2), h.size(3)});
}

at::Tensor fir_upsample_2d(const at::Tensor& x, const std::vector<double>& taps, std::int64_t factor) {
  // Gain factor² keeps the mean: zero insertion leaves 1/factor² of the samples.
  const at::Tensor kernel = fir_kernel_2d(taps, static_cast<double>(factor * factor), x);
  const std::int64_t p = kernel.size(0) - factor;
  return upfirdn2d(x, kernel, factor, 1, (p + 1) / 2 + factor - 1, p / 2);
}

at::Tensor fir_downsample_2d(const at::Tensor& x, const std::vector<double>& taps, std::int64_t factor) {
  const at::Tensor kernel = fir_kernel_2d(taps, 1.0, x);
  const std::int64_t p = kernel.size(0) - factor;
  return upfirdn2d(x, kernel, 1, factor, (p + 1) / 2, p / 2);
}

at::Tensor fir_upsample_conv_2d(const at::Tensor& x, const at::Tensor& weight, const std::vector<double>& taps,
                                std::int64_t factor) {
  const std::int64_t conv_size = weight.size(-1);
  const at::Tensor kernel = fir_kernel_2d(taps, static_cast<double>(factor * factor), x);
  const std::int64_t p = (kernel.size(0) - factor) - (conv_size - 1);
  // The transposed convolution with the spatially flipped, in/out-swapped
  // weight is "zero-insert, then correlate with weight" in its full extent.
  const at::Tensor transposed = weight.flip({2, 3}).transpose(0, 1);
  const at::Tensor h = at::conv_transpose2d(x, transposed, {}, /*stride=*/{factor, factor});
  return upfirdn2d(h, kernel, 1, 1, (p + 1) / 2 + factor - 1, p / 2 + 1);
}

at::Tensor fir_conv_downsample_2d(const at::Tensor& x, const at::Tensor& weight, const std::vector<double>& taps,
                                  std::int64_t factor) {
  const std::int64_t conv_size = weight.size(-1);
  const at::Tensor kernel = fir_kernel_2d(taps, 1.0, x);
  const std::int64_t p = (kernel.size(0) - factor) + (conv_size - 1);
  const at::Tensor h = upfirdn2d(x, kernel, 1, 1, (p + 1) / 2, p / 2);
  return at::conv2d(h, weight, {}, /*stride=*/{factor, factor});
}

at::Tensor naive_upsample_2d(const at::Tensor& x, std::int64_t factor) {
  const std::int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  return x.reshape({N, C, H, 1, W, 1}).expand({N, C, H, factor, W, factor}).reshape({N, C, H * factor, W * factor});
}

at::Tensor naive_downsample_2d(const at::Tensor& x, std::int64_t factor) {
  const std::int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  return x.reshape({N, C, H / factor, factor, W / factor, factor}).mean({3, 5});
}

}  // namespace scorch::models
