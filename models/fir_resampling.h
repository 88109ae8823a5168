#pragma once
// Finite-impulse-response up/down-sampling of NCHW images (the StyleGAN2
// resampling used by NCSN++), built from plain LibTorch padding and
// convolution ops so it runs and differentiates on any device without custom
// kernels. Kernels are given as separable 1-D taps, e.g. {1, 3, 3, 1}.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace scorch::models {

// The 2-D kernel outer(taps, taps), normalised to sum to `gain`, in x's dtype/device.
at::Tensor fir_kernel_2d(const std::vector<double>& taps, double gain, const at::Tensor& like);

// Zero-insertion upsampling by `up`, zero padding (negative values crop) of
// pad_before/pad_after on both spatial axes, true convolution with `kernel`
// [kh, kw], then keeping every `down`-th sample. Each channel is filtered alone.
at::Tensor upfirdn2d(const at::Tensor& x, const at::Tensor& kernel, std::int64_t up, std::int64_t down,
                     std::int64_t pad_before, std::int64_t pad_after);

// [N, C, H, W] -> [N, C, factor H, factor W]; a constant image stays constant inside.
at::Tensor fir_upsample_2d(const at::Tensor& x, const std::vector<double>& taps, std::int64_t factor = 2);
// [N, C, H, W] -> [N, C, H / factor, W / factor].
at::Tensor fir_downsample_2d(const at::Tensor& x, const std::vector<double>& taps, std::int64_t factor = 2);

// Fused upsample then 3x3 ("same") convolution with weight [out, in, k, k]:
// one transposed convolution and one FIR pass, padding applied once.
at::Tensor fir_upsample_conv_2d(const at::Tensor& x, const at::Tensor& weight, const std::vector<double>& taps,
                                std::int64_t factor = 2);
// Fused FIR filter then strided convolution with weight [out, in, k, k].
at::Tensor fir_conv_downsample_2d(const at::Tensor& x, const at::Tensor& weight, const std::vector<double>& taps,
                                  std::int64_t factor = 2);

// Nearest-neighbour repetition and box averaging (the non-FIR resampling).
at::Tensor naive_upsample_2d(const at::Tensor& x, std::int64_t factor = 2);
at::Tensor naive_downsample_2d(const at::Tensor& x, std::int64_t factor = 2);

}  // namespace scorch::models
