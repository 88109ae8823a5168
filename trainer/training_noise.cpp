#include "trainer/training_noise.h"

#include "common/counter_noise.h"
#include "common/device_copy.h"
#include "common/random_stream.h"
#include "models/noise_family.h"

#include <ATen/ATen.h>

namespace scorch::trainer {

at::Tensor training_noise(const models::NoiseFamily& family, NoiseDevice where, std::uint64_t seed, std::uint64_t step,
                          const std::vector<std::int64_t>& global_indices, const at::Tensor& x0) {
  const RandomKey key{seed, RandomPurpose::training_noise, step};
  const auto example_shape = x0.sizes().slice(1);
  if (where == NoiseDevice::device) {
    const double c = *family.gaussian_std();
    const at::Tensor z = counter_normal(key, global_indices, example_shape, x0.options());
    return c == 1.0 ? z : c * z;
  }
  const at::Tensor noise = draw_per_example(key, global_indices, [&](at::Generator& generator) {
    return family.sample(example_shape, generator, x0.options().device(at::kCPU));
  });
  return to_device(noise, x0.device());
}

}  // namespace scorch::trainer
