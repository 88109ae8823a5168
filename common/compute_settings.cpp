#include "common/compute_settings.h"

#include "common/config.h"

#include <ATen/ATen.h>
#include <ATen/Context.h>
#include <ATen/autocast_mode.h>
#include <torch/library.h>
#include <torch/version.h>

namespace scorch {
namespace {

#if TORCH_VERSION_MAJOR < 2
// CUDA autocast runs normalisations in fp32; LibTorch 1.13's CPU autocast
// has no rule for them, and its CPU kernels refuse a bf16 input with fp32
// weights. These kernels give CPU autocast the CUDA rule, so that the same
// network runs in bf16 on both (tests and CPU runs exercise the GPU's policy).
// LibTorch 2 has mixed-type CPU normalisation kernels and rules of its own,
// which a second registration would only override with a warning.
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

#endif

}  // namespace

const std::vector<Named<Precision>>& precision_table() {
  static const std::vector<Named<Precision>> table = {{Precision::fp32, "fp32"}, {Precision::bf16, "bf16"}};
  return table;
}

Precision precision_named(const std::string& name, const std::string& key) {
  return row_named(precision_table(), name, key).value;
}

const char* to_string(Precision precision) { return row_of(precision_table(), precision).name; }

// Autocast's state per device type. LibTorch 2.4 made it one device-typed
// API and deprecated the per-device functions of 1.13, which are all this
// project's CPU LibTorch has.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
bool autocast_enabled(c10::DeviceType type) { return at::autocast::is_autocast_enabled(type); }
namespace {
void set_autocast_enabled(c10::DeviceType type, bool enabled) { at::autocast::set_autocast_enabled(type, enabled); }
c10::ScalarType autocast_dtype(c10::DeviceType type) { return at::autocast::get_autocast_dtype(type); }
void set_autocast_dtype(c10::DeviceType type, c10::ScalarType dtype) { at::autocast::set_autocast_dtype(type, dtype); }
}  // namespace
#else
bool autocast_enabled(c10::DeviceType type) {
  return type == c10::DeviceType::CUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
}
namespace {
void set_autocast_enabled(c10::DeviceType type, bool enabled) {
  type == c10::DeviceType::CUDA ? at::autocast::set_enabled(enabled) : at::autocast::set_cpu_enabled(enabled);
}
c10::ScalarType autocast_dtype(c10::DeviceType type) {
  return type == c10::DeviceType::CUDA ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
}
void set_autocast_dtype(c10::DeviceType type, c10::ScalarType dtype) {
  type == c10::DeviceType::CUDA ? at::autocast::set_autocast_gpu_dtype(dtype) : at::autocast::set_autocast_cpu_dtype(dtype);
}
}  // namespace
#endif

AutocastScope::AutocastScope(c10::Device device, Precision precision) {
  if (precision == Precision::fp32) return;
  active_ = true;
  // Only CUDA and the CPU are compute devices here.
  type_ = device.is_cuda() ? c10::DeviceType::CUDA : c10::DeviceType::CPU;
  was_enabled_ = autocast_enabled(type_);
  previous_dtype_ = autocast_dtype(type_);
  set_autocast_dtype(type_, at::kBFloat16);
  set_autocast_enabled(type_, true);
  at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  set_autocast_enabled(type_, was_enabled_);
  set_autocast_dtype(type_, previous_dtype_);
}

void declare_compute_keys(ConfigSchema& schema) {
  using T = ConfigType;
  const ComputeSettings d;
  schema.add({"compute.tf32", T::choice, row_of(tf32_table(), d.tf32).name,
              "CUDA: TF32 tensor cores (10-bit mantissa inputs) for fp32 matrix products and convolutions; auto: "
              "LibTorch's defaults, off for matrix products and on for cuDNN convolutions",
              table_names(tf32_table())});
  schema.add({"compute.cudnn_benchmark", T::boolean, config_default_boolean(d.cudnn_benchmark),
              "CUDA: let cuDNN time its convolution algorithms per shape and keep the fastest (not bitwise "
              "reproducible across runs)"});
  schema.add({"compute.channels_last", T::boolean, config_default_boolean(d.channels_last),
              "keep 4-D weights and images in channels-last (NHWC) memory order, which GPU convolutions prefer"});
  // They change speed and the last bits of results, not what the run computes.
  schema.allow_change_on_resume({"compute."});
}

const std::vector<Named<Tf32>>& tf32_table() {
  static const std::vector<Named<Tf32>> table = {{Tf32::automatic, "auto"}, {Tf32::on, "true"}, {Tf32::off, "false"}};
  return table;
}

ComputeSettings compute_settings_from(const Config& config) {
  return {row_named(tf32_table(), config.string("compute.tf32"), "compute.tf32").value,
          config.boolean("compute.cudnn_benchmark"), config.boolean("compute.channels_last")};
}

void apply_compute_settings(const ComputeSettings& settings) {
  if (settings.tf32 != Tf32::automatic) {
    at::globalContext().setAllowTF32CuBLAS(settings.tf32 == Tf32::on);
    at::globalContext().setAllowTF32CuDNN(settings.tf32 == Tf32::on);
  }
  at::globalContext().setBenchmarkCuDNN(settings.cudnn_benchmark);
}

}  // namespace scorch
