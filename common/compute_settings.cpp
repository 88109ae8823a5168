#include "common/compute_settings.h"

#include "common/config.h"

#include <ATen/ATen.h>
#include <ATen/Context.h>
#include <ATen/autocast_mode.h>
#include <torch/library.h>

namespace scorch {
namespace {

// CUDA autocast runs normalisations in fp32; LibTorch 1.13's CPU autocast
// has no rule for them, and its CPU kernels refuse a bf16 input with fp32
// weights. These kernels give CPU autocast the CUDA rule, so that the same
// network runs in bf16 on both (tests and CPU runs exercise the GPU's policy).
at::Tensor float_input(const at::Tensor& input) {
  return input.scalar_type() == at::kBFloat16 ? input.to(at::kFloat) : input;
}

at::Tensor group_norm_in_fp32(const at::Tensor& input, std::int64_t groups, const c10::optional<at::Tensor>& weight,
                              const c10::optional<at::Tensor>& bias, double eps, bool cudnn_enabled) {
  const c10::impl::ExcludeDispatchKeyGuard no_autocast(c10::DispatchKey::AutocastCPU);
  return at::group_norm(float_input(input), groups, weight, bias, eps, cudnn_enabled);
}

at::Tensor layer_norm_in_fp32(const at::Tensor& input, at::IntArrayRef shape, const c10::optional<at::Tensor>& weight,
                              const c10::optional<at::Tensor>& bias, double eps, bool cudnn_enabled) {
  const c10::impl::ExcludeDispatchKeyGuard no_autocast(c10::DispatchKey::AutocastCPU);
  return at::layer_norm(float_input(input), shape, weight, bias, eps, cudnn_enabled);
}

TORCH_LIBRARY_IMPL(aten, AutocastCPU, m) {
  m.impl("group_norm", TORCH_FN(group_norm_in_fp32));
  m.impl("layer_norm", TORCH_FN(layer_norm_in_fp32));
}

}  // namespace

const std::vector<Named<Precision>>& precision_table() {
  static const std::vector<Named<Precision>> table = {{Precision::fp32, "fp32"}, {Precision::bf16, "bf16"}};
  return table;
}

Precision precision_named(const std::string& name, const std::string& key) {
  return row_named(precision_table(), name, key).value;
}

const char* to_string(Precision precision) { return row_of(precision_table(), precision).name; }

AutocastScope::AutocastScope(c10::Device device, Precision precision) {
  if (precision == Precision::fp32) return;
  active_ = true;
  cuda_ = device.is_cuda();
  if (cuda_) {
    was_enabled_ = at::autocast::is_enabled();
    previous_dtype_ = at::autocast::get_autocast_gpu_dtype();
    at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
    at::autocast::set_enabled(true);
  } else {
    was_enabled_ = at::autocast::is_cpu_enabled();
    previous_dtype_ = at::autocast::get_autocast_cpu_dtype();
    at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
    at::autocast::set_cpu_enabled(true);
  }
  at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  if (cuda_) {
    at::autocast::set_enabled(was_enabled_);
    at::autocast::set_autocast_gpu_dtype(previous_dtype_);
  } else {
    at::autocast::set_cpu_enabled(was_enabled_);
    at::autocast::set_autocast_cpu_dtype(previous_dtype_);
  }
}

void declare_compute_keys(ConfigSchema& schema) {
  using T = ConfigType;
  const ComputeSettings d;
  schema.add({"compute.tf32", T::boolean, config_default_boolean(d.tf32),
              "CUDA: TF32 tensor cores for fp32 matrix products and convolutions (10-bit mantissa inputs); "
              "PyTorch's own defaults are off for matrix products and on for convolutions"});
  schema.add({"compute.cudnn_benchmark", T::boolean, config_default_boolean(d.cudnn_benchmark),
              "CUDA: let cuDNN time its convolution algorithms per shape and keep the fastest (not bitwise "
              "reproducible across runs)"});
  schema.add({"compute.channels_last", T::boolean, config_default_boolean(d.channels_last),
              "keep 4-D weights and images in channels-last (NHWC) memory order, which GPU convolutions prefer"});
  // They change speed and the last bits of results, not what the run computes.
  schema.allow_change_on_resume({"compute."});
}

ComputeSettings compute_settings_from(const Config& config) {
  return {config.boolean("compute.tf32"), config.boolean("compute.cudnn_benchmark"),
          config.boolean("compute.channels_last")};
}

void apply_compute_settings(const ComputeSettings& settings) {
  at::globalContext().setAllowTF32CuBLAS(settings.tf32);
  at::globalContext().setAllowTF32CuDNN(settings.tf32);
  at::globalContext().setBenchmarkCuDNN(settings.cudnn_benchmark);
}

}  // namespace scorch
