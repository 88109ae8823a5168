#include "evaluation/sampling/sample_file.h"

#include "common/user_error.h"
#include "data/dataset_file.h"
#include "data/image_grid.h"
#include "data/shard_files.h"
#include "data/tensor_archive.h"

#include <ATen/ATen.h>

#include <algorithm>

namespace scorch::evaluation {

void write_sample_file(const std::string& path, const at::Tensor& samples, data::PixelRange range, bool with_float,
                       const std::map<std::string, std::string>& attributes,
                       data::PixelQuantization quantization, const std::map<std::string, at::Tensor>& extra) {
  const at::Tensor values = samples.to(at::kCPU, at::kFloat).contiguous();
  if (values.dim() != 4) {
    data::TensorArchiveWriter writer(path);
    writer.write_tensor("samples", values);
    for (const auto& [name, tensor] : extra) writer.write_tensor(name, tensor);
    for (const auto& [name, value] : attributes) writer.write_text_attribute(name, value);
    writer.commit();
    return;
  }
  const data::DatasetShape shape{values.size(0), values.size(1), values.size(2), values.size(3)};
  data::DatasetWriter writer(path, shape, /*with_labels=*/false, "scorch sample", "samples");
  writer.append(data::range_to_pixels(values, range, quantization));
  if (with_float) writer.write_extra_dataset("samples", values);
  for (const auto& [name, tensor] : extra) writer.write_extra_dataset(name, tensor);
  writer.set_text_attribute("range", data::to_string(range));
  writer.set_text_attribute("quantize", data::to_string(quantization));
  for (const auto& [name, value] : attributes) writer.set_text_attribute(name, value);
  writer.finish();
}

void write_sample_grid(const std::string& path, const at::Tensor& samples, data::PixelRange range, std::int64_t count) {
  if (samples.dim() != 4) throw UserError("a sample grid needs image samples [C, H, W]; this model draws vectors");
  const std::int64_t shown = std::min(count, samples.size(0));
  data::write_image_grid(path, data::range_to_pixels(samples.slice(0, 0, shown), range));
}

}  // namespace scorch::evaluation

namespace scorch::evaluation {

void write_stored_sample_grid(const std::string& samples, const std::string& path, std::int64_t count) {
  data::ImageSource source(samples);
  data::write_image_grid(path, source.read_images(0, std::min(count, source.shape().count)));
}

}  // namespace scorch::evaluation
