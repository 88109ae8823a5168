#pragma once
// How the device computes, as opposed to what: the arithmetic precision of the
// network (fp32, or bf16 autocast), TF32 matrix units, cuDNN's autotuner and
// the channels-last layout. The compute.* keys are read by every command that
// runs a network; train.precision and sampler.precision pick the precision of
// the network's forward (and backward) pass. docs/performance.md says what
// each switch changes and what stays in fp32 or fp64.
#include "common/name_table.h"

#include <c10/core/Device.h>

#include <vector>

namespace scorch {

class ConfigSchema;
class Config;

enum class Precision { fp32, bf16 };
const std::vector<Named<Precision>>& precision_table();
Precision precision_named(const std::string& name, const std::string& key);
const char* to_string(Precision precision);

// While alive, the ops autocast covers on `device` (convolutions, matrix
// products) run in bf16 when precision is bf16; nothing changes for fp32.
// Restores the previous autocast state, and drops autocast's cache of
// low-precision weight copies when the outermost scope ends: the next
// optimiser step changes the weights, so a cached copy would be stale.
class AutocastScope {
 public:
  AutocastScope(c10::Device device, Precision precision);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_ = false;
  c10::DeviceType type_ = c10::DeviceType::CPU;
  bool was_enabled_ = false;
  c10::ScalarType previous_dtype_ = c10::ScalarType::Float;
};

// compute.tf32: auto leaves LibTorch's own settings (TF32 off for cuBLAS
// matrix products, on for cuDNN convolutions), so that runs compute as before
// the key existed; on and off set both.
enum class Tf32 { automatic, on, off };
const std::vector<Named<Tf32>>& tf32_table();

// Whether autocast is on for a device type (LibTorch's API differs by version).
bool autocast_enabled(c10::DeviceType type);

struct ComputeSettings {
  Tf32 tf32 = Tf32::automatic;   // TF32 in cuBLAS matrix products and cuDNN convolutions
  bool cudnn_benchmark = false;  // cuDNN picks the fastest convolution algorithm per shape
  bool channels_last = false;    // 4-D weights and inputs in NHWC memory order
};

void declare_compute_keys(ConfigSchema& schema);
ComputeSettings compute_settings_from(const Config& config);
// Sets the process-wide TF32 and cuDNN switches (they only act on CUDA devices).
void apply_compute_settings(const ComputeSettings& settings);

}  // namespace scorch
