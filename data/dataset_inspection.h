#pragma once
// What `scorch data info` reports: layout, label histogram, attributes, and a
// validation verdict (layout, format version, stored vs recomputed content hash).
#include "data/dataset_file.h"

#include <map>
#include <string>
#include <vector>

namespace scorch::data {

struct DatasetReport {
  std::string path;
  DatasetShape shape;
  bool has_labels = false;
  std::map<std::int64_t, std::int64_t> label_histogram;
  DatasetAttributes attributes;
  std::string class_names;  // newline-separated, may be empty
  std::string recomputed_hash;
  std::vector<std::string> problems;  // empty means valid
  bool valid() const { return problems.empty(); }
};

// Never throws for a bad file: problems go into the report. A file that cannot
// be opened at all gives a report with one problem and no shape.
DatasetReport inspect_dataset(const std::string& path);

}  // namespace scorch::data
