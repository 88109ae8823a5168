#include "common/log.h"
#include "common/user_error.h"
#include "data/converters.h"
#include "data/dataset_inspection.h"
#include "launch/commands.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <memory>

namespace scorch::launch {
namespace {

struct InfoOptions {
  std::string path;
  bool json = false;
};

nlohmann::ordered_json report_json(const data::DatasetReport& report) {
  nlohmann::ordered_json histogram = nlohmann::ordered_json::object();
  for (const auto& [label, count] : report.label_histogram) histogram[std::to_string(label)] = count;
  return {{"path", report.path},
          {"count", report.shape.count},
          {"shape", {report.shape.channels, report.shape.height, report.shape.width}},
          {"dtype", "uint8"},
          {"labels", report.has_labels},
          {"label_histogram", histogram},
          {"format_version", report.attributes.format_version},
          {"source", report.attributes.source},
          {"split", report.attributes.split},
          {"content_hash", report.attributes.content_hash},
          {"valid", report.valid()},
          {"problems", report.problems}};
}

std::string report_text(const data::DatasetReport& report) {
  std::string out = fmt::format("file          {}\n", report.path);
  if (report.shape.count > 0) {
    out += fmt::format("images        {} x [{}, {}, {}] uint8\n", report.shape.count, report.shape.channels,
                       report.shape.height, report.shape.width);
    out += fmt::format("split         {}\nsource        {}\nformat        {}\ncontent hash  {}\n",
                       report.attributes.split, report.attributes.source, report.attributes.format_version,
                       report.attributes.content_hash);
  }
  if (report.has_labels) {
    out += "labels        ";
    for (const auto& [label, count] : report.label_histogram) out += fmt::format("{}:{} ", label, count);
    out += "\n";
  }
  if (!report.class_names.empty()) {
    std::string names = report.class_names;
    std::replace(names.begin(), names.end(), '\n', ',');
    out += fmt::format("classes       {}\n", names);
  }
  out += report.valid() ? "verdict       valid\n" : fmt::format("verdict       INVALID: {}\n", report.problems.front());
  return out;
}

}  // namespace

void add_data_command(CLI::App& app) {
  CLI::App* data = app.add_subcommand("data", "Convert datasets to scorch HDF5 and inspect them");
  data->require_subcommand(1);

  auto convert = std::make_shared<data::ConvertOptions>();
  CLI::App* convert_command = data->add_subcommand("convert", "Convert a dataset to one scorch HDF5 file per split");
  convert_command->add_option("--format", convert->format, "source format")
      ->required()
      ->check(CLI::IsMember(data::convert_formats()));
  convert_command->add_option("--input", convert->input, "source directory")->required();
  convert_command->add_option("--output", convert->output_dir, "output directory; receives <split>.h5")->required();
  convert_command->add_option("--split", convert->split, "image-folder: split name of the output file")
      ->capture_default_str();
  convert_command->add_option("--size", convert->image.size, "image-folder: resize to SIZE x SIZE (0 keeps the size)")
      ->capture_default_str();
  convert_command->add_flag("--center-crop", convert->image.center_crop,
                            "image-folder: crop the largest centred square before resizing");
  convert_command->add_option("--channels", convert->image.channels, "image-folder: 1 (grey) or 3 (RGB)")
      ->check(CLI::IsMember({1, 3}))
      ->capture_default_str();
  convert_command->callback([convert] {
    for (const auto& path : data::convert_dataset(*convert)) {
      const data::DatasetReport report = data::inspect_dataset(path);
      if (!report.valid()) throw UserError(report.problems.front());
      log::info("wrote {} ({} images of [{}, {}, {}])", path, report.shape.count, report.shape.channels,
                report.shape.height, report.shape.width);
    }
  });

  auto info = std::make_shared<InfoOptions>();
  CLI::App* info_command = data->add_subcommand("info", "Describe and validate a scorch HDF5 dataset");
  info_command->add_option("file", info->path, "dataset file (.h5)")->required();
  info_command->add_flag("--json", info->json, "print one JSON object");
  info_command->callback([info] {
    const data::DatasetReport report = data::inspect_dataset(info->path);
    if (info->json) {
      fmt::print("{}\n", report_json(report).dump(2));
    } else {
      fmt::print("{}", report_text(report));
    }
    if (!report.valid()) throw UserError(report.problems.front());
  });
}

}  // namespace scorch::launch
