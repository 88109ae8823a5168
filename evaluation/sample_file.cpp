#include "evaluation/sample_file.h"

#include "data/dataset_file.h"
#include "data/tensor_archive.h"

#include <ATen/ATen.h>

namespace scorch::evaluation {

void write_sample_file(const std::string& path, const at::Tensor& samples, data::PixelRange range, bool with_float,
                       const std::map<std::string, std::string>& attributes) {
  const at::Tensor values = samples.to(at::kCPU, at::kFloat).contiguous();
  if (values.dim() != 4) {
    data::TensorArchiveWriter writer(path);
    writer.write_tensor("samples", values);
    for (const auto& [name, value] : attributes) writer.write_text_attribute(name, value);
    writer.commit();
    return;
  }
  const data::DatasetShape shape{values.size(0), values.size(1), values.size(2), values.size(3)};
  data::DatasetWriter writer(path, shape, /*with_labels=*/false, "scorch sample", "samples");
  writer.append(data::range_to_pixels(values, range));
  if (with_float) writer.write_extra_dataset("samples", values);
  writer.set_text_attribute("range", data::to_string(range));
  for (const auto& [name, value] : attributes) writer.set_text_attribute(name, value);
  writer.finish();
}

}  // namespace scorch::evaluation
