#pragma once
// Samples on disk. Image samples ([N, C, H, W]) are a dataset-format file
// (docs/file-formats.md): /images uint8 after clamping to the model's range, so every
// dataset tool reads them; optionally /samples float32 in the model's range.
// Other shapes (2-D toys) store /samples float32 only. Root attributes record
// how they were drawn.
#include "data/pixel_range.h"

#include <ATen/core/Tensor.h>

#include <map>
#include <string>

namespace scorch::evaluation {

// Images are quantised as `quantization` says, recorded as the attribute
// `quantize`. `extra` adds root datasets (float32, float64 or int64).
void write_sample_file(const std::string& path, const at::Tensor& samples, data::PixelRange range, bool with_float,
                       const std::map<std::string, std::string>& attributes,
                       data::PixelQuantization quantization = data::PixelQuantization::round,
                       const std::map<std::string, at::Tensor>& extra = {});

// A PNG grid of the first `count` image samples (in the model's range);
// UserError for vector samples.
void write_sample_grid(const std::string& path, const at::Tensor& samples, data::PixelRange range, std::int64_t count);

// A PNG grid of the first `count` stored images of a sample file or shard
// directory (data/shard_files.h), as quantised there.
void write_stored_sample_grid(const std::string& samples, const std::string& path, std::int64_t count);

}  // namespace scorch::evaluation
