#include "data/dataset_inspection.h"

#include "common/user_error.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

namespace scorch::data {

DatasetReport inspect_dataset(const std::string& path) {
  DatasetReport report;
  report.path = path;
  DatasetFile file(path);
  try {
    report.shape = file.shape();
    report.has_labels = file.has_labels();
  } catch (const UserError& e) {
    report.problems.push_back(e.what());
    return report;
  }
  try {
    report.attributes = file.attributes();
    if (report.attributes.format_version != kDatasetFormatVersion) {
      report.problems.push_back(fmt::format("{}: format_version {} is not the supported {}", path,
                                            report.attributes.format_version, kDatasetFormatVersion));
    }
  } catch (const UserError& e) {
    report.problems.push_back(e.what());
  }
  try {
    Hdf5Lock lock;
    Hdf5Id handle = checked_id(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), path, "cannot reopen");
    if (has_attribute(handle.get(), "class_names")) report.class_names = read_string_attribute(handle.get(), "class_names", path);
  } catch (const UserError& e) {
    report.problems.push_back(e.what());
  }
  try {
    if (report.has_labels) {
      const at::Tensor labels = file.read_labels(0, report.shape.count);
      const auto* data = labels.data_ptr<std::int64_t>();
      for (std::int64_t i = 0; i < labels.numel(); ++i) ++report.label_histogram[data[i]];
    }
    report.recomputed_hash = file.compute_content_hash();
    if (!report.attributes.content_hash.empty() && report.recomputed_hash != report.attributes.content_hash) {
      report.problems.push_back(fmt::format("{}: content hash {} does not match the stored {}: the data changed or is corrupt",
                                            path, report.recomputed_hash, report.attributes.content_hash));
    }
  } catch (const UserError& e) {
    report.problems.push_back(e.what());
  }
  return report;
}

}  // namespace scorch::data
