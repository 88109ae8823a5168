#include "data/image_folder.h"

#include "common/user_error.h"

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <stb/stb_image.h>
#include <stb/stb_image_resize.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <memory>

namespace scorch::data {
namespace {
namespace fs = std::filesystem;

bool is_image(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg";
}

std::vector<std::string> sorted_images_in(const fs::path& directory) {
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(directory)) {
    if (entry.is_regular_file() && is_image(entry.path())) files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

ImageFolderListing list_image_folder(const std::string& root) {
  if (!fs::is_directory(root)) throw UserError(root + ": not a directory");
  ImageFolderListing listing;
  for (const auto& entry : fs::directory_iterator(root)) {
    if (entry.is_directory()) listing.class_names.push_back(entry.path().filename().string());
  }
  std::sort(listing.class_names.begin(), listing.class_names.end());
  if (listing.class_names.empty()) {
    listing.files = sorted_images_in(root);
  } else {
    for (std::size_t label = 0; label < listing.class_names.size(); ++label) {
      for (auto& file : sorted_images_in(fs::path(root) / listing.class_names[label])) {
        listing.files.push_back(std::move(file));
        listing.labels.push_back(static_cast<std::int64_t>(label));
      }
    }
  }
  if (listing.files.empty()) throw UserError(root + ": no .png, .jpg or .jpeg images found");
  return listing;
}

at::Tensor load_image(const std::string& path, const ImageLoadOptions& options) {
  if (options.channels != 1 && options.channels != 3) throw UserError("image channels must be 1 or 3");
  int width = 0, height = 0, file_channels = 0;
  std::unique_ptr<stbi_uc, void (*)(void*)> pixels(
      stbi_load(path.c_str(), &width, &height, &file_channels, options.channels), stbi_image_free);
  if (!pixels) throw UserError(fmt::format("{}: cannot decode image ({})", path, stbi_failure_reason()));
  // HWC view of the decoded pixels, cropped to a centred square when asked.
  at::Tensor hwc = at::from_blob(pixels.get(), {height, width, options.channels}, at::kByte);
  if (options.center_crop) {
    const int side = std::min(width, height);
    hwc = hwc.slice(0, (height - side) / 2, (height - side) / 2 + side).slice(1, (width - side) / 2, (width - side) / 2 + side);
  }
  hwc = hwc.contiguous();
  if (options.size > 0 && (hwc.size(0) != options.size || hwc.size(1) != options.size)) {
    at::Tensor resized = at::empty({options.size, options.size, options.channels}, at::kByte);
    const int ok = stbir_resize_uint8(hwc.data_ptr<std::uint8_t>(), static_cast<int>(hwc.size(1)), static_cast<int>(hwc.size(0)), 0,
                                      resized.data_ptr<std::uint8_t>(), static_cast<int>(options.size),
                                      static_cast<int>(options.size), 0, options.channels);
    if (!ok) throw UserError(path + ": cannot resize image");
    hwc = resized;
  }
  return hwc.permute({2, 0, 1}).contiguous();
}

}  // namespace scorch::data
