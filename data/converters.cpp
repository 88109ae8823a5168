#include "data/converters.h"

#include "common/log.h"
#include "common/progress.h"
#include "common/user_error.h"
#include "data/dataset_file.h"
#include "data/source_formats.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <filesystem>

namespace scorch::data {
namespace {
namespace fs = std::filesystem;

constexpr std::int64_t kWriteBlock = 4096;

std::string join_lines(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : "\n") + name;
  return out;
}

std::string write_split(const std::string& output_dir, const std::string& split, const LabelledImages& data,
                        const std::string& source) {
  const std::string path = (fs::path(output_dir) / (split + ".h5")).string();
  const at::Tensor& images = data.images;
  const DatasetShape shape{images.size(0), images.size(1), images.size(2), images.size(3)};
  if (data.labels.defined() && data.labels.size(0) != shape.count) {
    throw UserError(fmt::format("{}: {} labels for {} images", source, data.labels.size(0), shape.count));
  }
  DatasetWriter writer(path, shape, data.labels.defined(), source, split);
  if (!data.class_names.empty()) writer.set_text_attribute("class_names", join_lines(data.class_names));
  ProgressMeter progress("convert " + split, shape.count, "images");
  for (std::int64_t start = 0; start < shape.count; start += kWriteBlock) {
    const std::int64_t end = std::min(shape.count, start + kWriteBlock);
    writer.append(images.slice(0, start, end), data.labels.defined() ? data.labels.slice(0, start, end) : at::Tensor());
    progress.update(end);
  }
  writer.finish();
  return path;
}

std::vector<std::string> convert_idx(const ConvertOptions& options) {
  std::vector<std::string> written;
  for (const auto& [split, prefix] : std::vector<std::pair<std::string, std::string>>{{"train", "train"}, {"test", "t10k"}}) {
    const std::string image_path = find_with_optional_gz(options.input, prefix + "-images-idx3-ubyte");
    const std::string label_path = find_with_optional_gz(options.input, prefix + "-labels-idx1-ubyte");
    LabelledImages data{read_idx_images(image_path), read_idx_labels(label_path), {}};
    if (options.format == "fashion-mnist") {
      data.class_names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                          "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
    }
    written.push_back(write_split(options.output_dir, split, data, options.format + ":" + image_path));
  }
  return written;
}

std::vector<std::string> convert_cifar10(const ConvertOptions& options) {
  // Accept the extracted archive's root or its cifar-10-batches-bin folder.
  fs::path root = options.input;
  if (!fs::exists(root / "test_batch.bin") && fs::exists(root / "cifar-10-batches-bin")) root /= "cifar-10-batches-bin";
  std::vector<std::string> train_files;
  for (int i = 1; i <= 5; ++i) train_files.push_back((root / fmt::format("data_batch_{}.bin", i)).string());
  for (const auto& file : train_files) {
    if (!fs::exists(file)) throw UserError(file + ": missing CIFAR-10 batch");
  }
  const std::string test_file = (root / "test_batch.bin").string();
  if (!fs::exists(test_file)) throw UserError(test_file + ": missing CIFAR-10 batch");
  return {write_split(options.output_dir, "train", read_cifar10_batches(train_files), "cifar10:" + root.string()),
          write_split(options.output_dir, "test", read_cifar10_batches({test_file}), "cifar10:" + root.string())};
}

std::vector<std::string> convert_image_folder(const ConvertOptions& options) {
  const ImageFolderListing listing = list_image_folder(options.input);
  const at::Tensor first = load_image(listing.files.front(), options.image);
  const DatasetShape shape{static_cast<std::int64_t>(listing.files.size()), first.size(0), first.size(1), first.size(2)};
  const std::string path = (fs::path(options.output_dir) / (options.split + ".h5")).string();
  const bool labelled = !listing.labels.empty();
  DatasetWriter writer(path, shape, labelled, "image-folder:" + options.input, options.split);
  if (labelled) writer.set_text_attribute("class_names", join_lines(listing.class_names));
  ProgressMeter progress("convert " + options.split, shape.count, "images");
  std::vector<at::Tensor> block;
  for (std::size_t i = 0; i < listing.files.size(); ++i) {
    at::Tensor image = i == 0 ? first : load_image(listing.files[i], options.image);
    if (image.sizes() != first.sizes()) {
      throw UserError(fmt::format("{}: image is {}x{}x{} but the first was {}x{}x{}; use --size (and --center-crop)",
                                  listing.files[i], image.size(0), image.size(1), image.size(2), first.size(0),
                                  first.size(1), first.size(2)));
    }
    block.push_back(image);
    const bool flush = static_cast<std::int64_t>(block.size()) == kWriteBlock || i + 1 == listing.files.size();
    if (flush) {
      const std::int64_t start = writer.written();
      const std::int64_t n = static_cast<std::int64_t>(block.size());
      const at::Tensor labels = labelled ? at::tensor(std::vector<std::int64_t>(listing.labels.begin() + start,
                                                                              listing.labels.begin() + start + n),
                                                      at::kLong)
                                         : at::Tensor();
      writer.append(at::stack(block), labels);
      block.clear();
      progress.update(writer.written());
    }
  }
  writer.finish();
  return {path};
}

}  // namespace

const std::vector<std::string>& convert_formats() {
  static const std::vector<std::string> formats = {"fashion-mnist", "mnist", "cifar10", "image-folder"};
  return formats;
}

std::vector<std::string> convert_dataset(const ConvertOptions& options) {
  if (!fs::exists(options.input)) throw UserError(options.input + ": input does not exist");
  std::error_code error;
  fs::create_directories(options.output_dir, error);
  if (error) throw UserError(options.output_dir + ": cannot create output directory: " + error.message());
  if (options.format == "fashion-mnist" || options.format == "mnist") return convert_idx(options);
  if (options.format == "cifar10") return convert_cifar10(options);
  if (options.format == "image-folder") return convert_image_folder(options);
  throw UserError("unknown --format '" + options.format + "'");
}

}  // namespace scorch::data
