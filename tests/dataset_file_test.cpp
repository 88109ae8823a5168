#include "common/user_error.h"
#include "data/converters.h"
#include "data/dataset_inspection.h"
#include "data/source_formats.h"
#include "data_test_support.h"

#include <gtest/gtest.h>
#include <stb/stb_image_write.h>
#include <zlib.h>

#include <filesystem>
#include <cstring>
#include <fstream>

namespace scorch::data {
namespace {
namespace fs = std::filesystem;

const char* kFashionMnist = "/usr/share/datasets/fashion-mnist";

// The idx payload read independently of scorch's reader: gunzip and skip the header.
std::vector<std::uint8_t> raw_idx_payload(const std::string& path, std::size_t header) {
  gzFile file = gzopen(path.c_str(), "rb");
  std::vector<std::uint8_t> bytes;
  std::uint8_t buffer[1 << 16];
  int n;
  while ((n = gzread(file, buffer, sizeof buffer)) > 0) bytes.insert(bytes.end(), buffer, buffer + n);
  gzclose(file);
  return {bytes.begin() + static_cast<std::ptrdiff_t>(header), bytes.end()};
}

TEST(Convert, FashionMnistRoundTripsPixelsAndLabels) {
  if (!fs::exists(kFashionMnist)) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  const std::string out = testing::temp_path("fmnist");
  const auto files = convert_dataset({"fashion-mnist", kFashionMnist, out});
  ASSERT_EQ(files.size(), 2u);
  for (const auto& [split, prefix, count] : std::vector<std::tuple<std::string, std::string, std::int64_t>>{
           {"train", "train", 60000}, {"test", "t10k", 10000}}) {
    DatasetFile file(out + "/" + split + ".h5");
    EXPECT_EQ(file.shape().count, count);
    EXPECT_EQ(file.shape().channels, 1);
    EXPECT_EQ(file.shape().height, 28);
    EXPECT_EQ(file.attributes().split, split);
    const auto pixels = raw_idx_payload(std::string(kFashionMnist) + "/" + prefix + "-images-idx3-ubyte.gz", 16);
    const auto labels = raw_idx_payload(std::string(kFashionMnist) + "/" + prefix + "-labels-idx1-ubyte.gz", 8);
    const at::Tensor stored = file.read_images(0, count);
    ASSERT_EQ(static_cast<std::size_t>(stored.numel()), pixels.size());
    EXPECT_EQ(std::memcmp(stored.data_ptr<std::uint8_t>(), pixels.data(), pixels.size()), 0);
    const at::Tensor stored_labels = file.read_labels(0, count);
    for (std::int64_t i = 0; i < count; ++i) ASSERT_EQ(stored_labels[i].item<std::int64_t>(), labels[static_cast<std::size_t>(i)]);
    const DatasetReport report = inspect_dataset(file.path());
    EXPECT_TRUE(report.valid());
    EXPECT_EQ(report.label_histogram.size(), 10u);
    EXPECT_EQ(report.label_histogram.at(3), count / 10);
  }
  testing::remove_tree(out);
}

TEST(Convert, Cifar10BinaryBatches) {
  const std::string in = testing::temp_path("cifar_in");
  fs::create_directories(in);
  // Record r of batch b: label (b + r) % 10, pixels (b + r + i) % 256.
  auto write_batch = [&](const std::string& name, int b, int records) {
    std::ofstream file(in + "/" + name, std::ios::binary);
    for (int r = 0; r < records; ++r) {
      file.put(static_cast<char>((b + r) % 10));
      for (int i = 0; i < 3072; ++i) file.put(static_cast<char>((b + r + i) % 256));
    }
  };
  for (int b = 1; b <= 5; ++b) write_batch("data_batch_" + std::to_string(b) + ".bin", b, 3);
  write_batch("test_batch.bin", 0, 2);
  const std::string out = testing::temp_path("cifar_out");
  convert_dataset({"cifar10", in, out});
  DatasetFile train(out + "/train.h5");
  EXPECT_EQ(train.shape().count, 15);
  EXPECT_EQ(train.shape().channels, 3);
  // Record 1 of batch 2 is example 4: label 3, pixel (c=1, h=0, w=5) = (2 + 1 + 1024 + 5) % 256.
  EXPECT_EQ(train.read_labels(4, 1)[0].item<std::int64_t>(), 3);
  EXPECT_EQ(train.read_images(4, 1)[0][1][0][5].item<std::uint8_t>(), (2 + 1 + 1024 + 5) % 256);
  EXPECT_EQ(DatasetFile(out + "/test.h5").shape().count, 2);
  // A batch with a partial record is refused.
  std::ofstream(in + "/test_batch.bin", std::ios::binary | std::ios::app).put('x');
  EXPECT_THROW(convert_dataset({"cifar10", in, out}), UserError);
  testing::remove_tree(in);
  testing::remove_tree(out);
}

TEST(Convert, ImageFolderWithClassesResizeAndCrop) {
  const std::string in = testing::temp_path("folder_in");
  for (const char* cls : {"cats", "dogs"}) fs::create_directories(in + "/" + cls);
  std::vector<std::uint8_t> rgb(6 * 4 * 3);
  for (std::size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<std::uint8_t>(i * 5);
  ASSERT_TRUE(stbi_write_png((in + "/cats/a.png").c_str(), 6, 4, 3, rgb.data(), 6 * 3));
  ASSERT_TRUE(stbi_write_png((in + "/dogs/b.png").c_str(), 6, 4, 3, rgb.data(), 6 * 3));
  ASSERT_TRUE(stbi_write_png((in + "/dogs/c.PNG").c_str(), 6, 4, 3, rgb.data(), 6 * 3));
  std::ofstream(in + "/dogs/notes.txt") << "not an image";
  const std::string out = testing::temp_path("folder_out");
  ConvertOptions options{"image-folder", in, out};
  options.split = "val";
  options.image.center_crop = true;
  options.image.size = 2;
  convert_dataset(options);
  DatasetFile file(out + "/val.h5");
  EXPECT_EQ(file.shape().count, 3);
  EXPECT_EQ(file.shape().channels, 3);
  EXPECT_EQ(file.shape().height, 2);
  EXPECT_TRUE(at::equal(file.read_labels(0, 3), at::tensor({0, 1, 1}, at::kLong)));
  // Without resizing the folder keeps the decoded size, and crops exactly.
  options.image.size = 0;
  convert_dataset(options);
  DatasetFile cropped(out + "/val.h5");
  EXPECT_EQ(cropped.shape().height, 4);
  EXPECT_EQ(cropped.shape().width, 4);
  // Column 1 of the crop is column 2 of the source: red channel of pixel (0, 2).
  EXPECT_EQ(cropped.read_images(0, 1)[0][0][0][1].item<std::uint8_t>(), rgb[2 * 3]);
  // Mixed sizes without --size are refused, naming the file.
  ASSERT_TRUE(stbi_write_png((in + "/dogs/d.png").c_str(), 3, 3, 3, rgb.data(), 3 * 3));
  options.image.center_crop = false;
  try {
    convert_dataset(options);
    ADD_FAILURE() << "mixed sizes were accepted";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("d.png"), std::string::npos) << e.what();
  }
  testing::remove_tree(in);
  testing::remove_tree(out);
}

TEST(DatasetWriter, UnfinishedWriteLeavesNoFile) {
  const std::string path = testing::temp_path("unfinished.h5");
  {
    DatasetWriter writer(path, {4, 1, 2, 2}, false, "test", "train");
    writer.append(at::zeros({2, 1, 2, 2}, at::kByte));
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(fs::exists(path + ".partial"));
  DatasetWriter short_writer(path, {4, 1, 2, 2}, false, "test", "train");
  short_writer.append(at::zeros({2, 1, 2, 2}, at::kByte));
  EXPECT_THROW(short_writer.finish(), UserError);
}

TEST(DatasetFile, ReadsArbitraryIndicesInOrderWithRepeats) {
  const std::string path = testing::write_indexed_dataset("indices.h5", 300, 2, 3);
  DatasetFile file(path);
  const std::vector<std::int64_t> indices = {299, 5, 6, 7, 5, 0, 150};
  const at::Tensor picked = file.read_images(indices);
  for (std::size_t i = 0; i < indices.size(); ++i) {
    EXPECT_TRUE(at::equal(picked[static_cast<std::int64_t>(i)], file.read_images(indices[i], 1)[0]));
  }
  EXPECT_TRUE(at::equal(file.read_labels(indices), at::tensor(indices, at::kLong) % 10));
  EXPECT_THROW(file.read_images(std::vector<std::int64_t>{300}), UserError);
}

// --- bad input: each gets one clear error naming the file ---

// Writes a raw HDF5 file with one dataset of the given type and dims.
void write_raw(const std::string& path, const char* name, hid_t type, std::vector<hsize_t> dims,
               const char* labels_name = nullptr, hsize_t labels_length = 0) {
  Hdf5Lock lock;
  Hdf5Id file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
  Hdf5Id space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr));
  Hdf5Id dataset(H5Dcreate2(file.get(), name, type, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  if (labels_name != nullptr) {
    Hdf5Id label_space(H5Screate_simple(1, &labels_length, nullptr));
    Hdf5Id labels(H5Dcreate2(file.get(), labels_name, H5T_STD_I64LE, label_space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  }
}

std::string open_error(const std::string& path) {
  try {
    DatasetFile file(path);
    file.shape();
  } catch (const UserError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.find('\n'), std::string::npos);
    EXPECT_EQ(message.rfind(path, 0), 0u) << message;  // starts with the file name
    return message;
  }
  return "";
}

TEST(DatasetFileErrors, EachBadInputHasItsMessage) {
  EXPECT_NE(open_error(testing::temp_path("missing.h5")).find("no such file"), std::string::npos);

  const std::string not_hdf5 = testing::temp_path("text.h5");
  std::ofstream(not_hdf5) << "hello";
  EXPECT_NE(open_error(not_hdf5).find("not an HDF5 file"), std::string::npos);

  const std::string wrong_name = testing::temp_path("wrong_name.h5");
  write_raw(wrong_name, "pixels", H5T_STD_U8LE, {2, 1, 2, 2});
  EXPECT_NE(open_error(wrong_name).find("no dataset '/images'"), std::string::npos);

  const std::string wrong_dtype = testing::temp_path("wrong_dtype.h5");
  write_raw(wrong_dtype, "images", H5T_IEEE_F32LE, {2, 1, 2, 2});
  EXPECT_NE(open_error(wrong_dtype).find("must be uint8"), std::string::npos);

  const std::string wrong_rank = testing::temp_path("wrong_rank.h5");
  write_raw(wrong_rank, "images", H5T_STD_U8LE, {2, 4, 4});
  EXPECT_NE(open_error(wrong_rank).find("rank 4"), std::string::npos);

  const std::string empty = testing::temp_path("empty.h5");
  write_raw(empty, "images", H5T_STD_U8LE, {0, 1, 2, 2});
  EXPECT_NE(open_error(empty).find("is empty"), std::string::npos);

  const std::string bad_labels = testing::temp_path("bad_labels.h5");
  write_raw(bad_labels, "images", H5T_STD_U8LE, {3, 1, 2, 2}, "labels", 2);
  EXPECT_NE(open_error(bad_labels).find("/labels must be [N] = [3]"), std::string::npos);

  const std::string good = testing::write_indexed_dataset("to_truncate.h5", 500, 3, 8);
  const std::string truncated = testing::temp_path("truncated.h5");
  fs::copy_file(good, truncated, fs::copy_options::overwrite_existing);
  fs::resize_file(truncated, fs::file_size(good) / 2);
  EXPECT_NE(open_error(truncated).find("truncated or corrupt"), std::string::npos);

  // Corrupt superblock bytes.
  const std::string corrupt = testing::temp_path("corrupt.h5");
  fs::copy_file(good, corrupt, fs::copy_options::overwrite_existing);
  {
    std::fstream file(corrupt, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(8);
    for (int i = 0; i < 64; ++i) file.put(static_cast<char>(0xA5));
  }
  EXPECT_FALSE(open_error(corrupt).empty());
}

TEST(DatasetFileErrors, NonScalarAttributeIsRefusedNotOverrun) {
  const std::string path = testing::write_indexed_dataset("array_attribute.h5", 4);
  {
    Hdf5Lock lock;
    Hdf5Id file(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT));
    H5Adelete(file.get(), "format_version");
    const hsize_t two = 2;
    Hdf5Id space(H5Screate_simple(1, &two, nullptr));
    Hdf5Id attribute(H5Acreate2(file.get(), "format_version", H5T_STD_I64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT));
    const std::int64_t values[2] = {1, 1};
    H5Awrite(attribute.get(), H5T_NATIVE_INT64, values);
  }
  try {
    DatasetFile(path).attributes();
    ADD_FAILURE() << "an array attribute was read as a scalar";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("single value"), std::string::npos) << e.what();
  }
}

TEST(DatasetWriter, LargeClassNamesAttributeFits) {
  const std::string path = testing::temp_path("many_classes.h5");
  std::string names;
  for (int i = 0; i < 20000; ++i) names += "class_number_" + std::to_string(i) + "\n";
  DatasetWriter writer(path, {1, 1, 2, 2}, false, "test", "train");
  writer.set_text_attribute("class_names", names);
  writer.append(at::zeros({1, 1, 2, 2}, at::kByte));
  writer.finish();
  EXPECT_GT(names.size(), 65536u);
  EXPECT_EQ(inspect_dataset(path).class_names, names);
}

TEST(DatasetFileErrors, ChangedPixelsFailValidation) {
  const std::string path = testing::write_indexed_dataset("tampered.h5", 20);
  EXPECT_TRUE(inspect_dataset(path).valid());
  {
    Hdf5Lock lock;
    Hdf5Id file(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT));
    Hdf5Id images(H5Dopen2(file.get(), "images", H5P_DEFAULT));
    std::vector<std::uint8_t> zeros(20 * 16, 0);
    H5Dwrite(images.get(), H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, zeros.data());
  }
  const DatasetReport report = inspect_dataset(path);
  ASSERT_FALSE(report.valid());
  EXPECT_NE(report.problems.front().find("content hash"), std::string::npos);
}

TEST(DatasetFileErrors, ConverterInputProblems) {
  EXPECT_THROW(convert_dataset({"fashion-mnist", testing::temp_path("nowhere"), testing::temp_path("o")}), UserError);
  const std::string in = testing::temp_path("bad_idx");
  fs::create_directories(in);
  std::ofstream(in + "/train-images-idx3-ubyte", std::ios::binary) << "garbage!";
  std::ofstream(in + "/train-labels-idx1-ubyte", std::ios::binary) << "garbage!";
  try {
    convert_dataset({"mnist", in, testing::temp_path("o2")});
    ADD_FAILURE();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("not an idx"), std::string::npos) << e.what();
  }
  testing::remove_tree(in);
}

}  // namespace
}  // namespace scorch::data
