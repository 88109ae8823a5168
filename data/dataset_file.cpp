#include "data/dataset_file.h"

#include "common/durable_file.h"
#include "common/random_stream.h"
#include "common/user_error.h"
#include "data/hdf5_tensor.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

namespace scorch::data {
namespace {

constexpr std::int64_t kTargetChunkBytes = 64 * 1024;
// Rows hashed or copied per read when scanning a whole file.
constexpr std::int64_t kScanRows = 4096;

std::int64_t rows_per_chunk(const DatasetShape& shape) {
  return std::clamp<std::int64_t>(kTargetChunkBytes / std::max<std::int64_t>(1, shape.image_bytes()), 1, shape.count);
}

void check_labels_tensor(const at::Tensor& labels, std::int64_t n, const std::string& file) {
  if (!labels.defined()) throw UserError(file + ": this dataset has labels; append() needs them");
  if (labels.dim() != 1 || labels.size(0) != n) {
    throw UserError(fmt::format("{}: got {} labels for {} images", file, labels.numel(), n));
  }
}

}  // namespace

DatasetWriter::DatasetWriter(std::string path, DatasetShape shape, bool with_labels, std::string source,
                             std::string split)
    : path_(std::move(path)), partial_path_(path_ + ".partial"), shape_(shape), with_labels_(with_labels) {
  if (shape.count <= 0 || shape.image_bytes() <= 0) {
    throw UserError(fmt::format("{}: refusing to write an empty dataset ({} images of {}x{}x{})", path_, shape.count,
                                shape.channels, shape.height, shape.width));
  }
  Hdf5Lock lock;
  // HDF5 1.8 object headers keep attributes over 64 KiB (long class_names) in
  // dense storage; h5py and HDF5 1.8+ read such files.
  Hdf5Id access = checked_id(H5Pcreate(H5P_FILE_ACCESS), path_, "cannot create property list");
  check_hdf5(H5Pset_libver_bounds(access.get(), H5F_LIBVER_V18, H5F_LIBVER_V18), path_, "cannot set format bounds");
  file_ = checked_id(H5Fcreate(partial_path_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access.get()), partial_path_,
                     "cannot create file (does the directory exist and is it writable?)");
  try {
    create_layout(with_labels, source, split);
  } catch (...) {
    // The destructor does not run for a throwing constructor: clean up here.
    images_.reset();
    labels_.reset();
    file_.reset();
    std::remove(partial_path_.c_str());
    throw;
  }
}

void DatasetWriter::create_layout(bool with_labels, const std::string& source, const std::string& split) {
  const DatasetShape& shape = shape_;
  const hsize_t dims[4] = {static_cast<hsize_t>(shape.count), static_cast<hsize_t>(shape.channels),
                           static_cast<hsize_t>(shape.height), static_cast<hsize_t>(shape.width)};
  const hsize_t chunk[4] = {static_cast<hsize_t>(rows_per_chunk(shape)), dims[1], dims[2], dims[3]};
  Hdf5Id space = checked_id(H5Screate_simple(4, dims, nullptr), path_, "cannot create dataspace");
  Hdf5Id properties = checked_id(H5Pcreate(H5P_DATASET_CREATE), path_, "cannot create property list");
  check_hdf5(H5Pset_chunk(properties.get(), 4, chunk), path_, "cannot set chunking");
  images_ = checked_id(H5Dcreate2(file_.get(), "images", H5T_STD_U8LE, space.get(), H5P_DEFAULT, properties.get(),
                                  H5P_DEFAULT),
                       path_, "cannot create /images");
  if (with_labels) {
    const hsize_t label_dims[1] = {dims[0]};
    Hdf5Id label_space = checked_id(H5Screate_simple(1, label_dims, nullptr), path_, "cannot create dataspace");
    labels_ = checked_id(H5Dcreate2(file_.get(), "labels", H5T_STD_I64LE, label_space.get(), H5P_DEFAULT,
                                    H5P_DEFAULT, H5P_DEFAULT),
                         path_, "cannot create /labels");
    label_buffer_.reserve(static_cast<std::size_t>(shape.count));
  }
  write_int_attribute(file_.get(), "format_version", kDatasetFormatVersion, path_);
  write_string_attribute(file_.get(), "source", source, path_);
  write_string_attribute(file_.get(), "split", split, path_);
}

DatasetWriter::~DatasetWriter() {
  if (!finished_) {
    images_.reset();
    labels_.reset();
    file_.reset();
    std::remove(partial_path_.c_str());
  }
}

void DatasetWriter::append(const at::Tensor& images, const at::Tensor& labels) {
  const std::int64_t n = images.size(0);
  if (images.scalar_type() != at::kByte || images.dim() != 4 || images.size(1) != shape_.channels ||
      images.size(2) != shape_.height || images.size(3) != shape_.width) {
    throw UserError(fmt::format("{}: appended images must be uint8 [n, {}, {}, {}]", path_, shape_.channels,
                                shape_.height, shape_.width));
  }
  if (written_ + n > shape_.count) {
    throw UserError(fmt::format("{}: more images than the declared {}", path_, shape_.count));
  }
  const at::Tensor contiguous = images.contiguous();
  hash_.update(contiguous.data_ptr<std::uint8_t>(), static_cast<std::size_t>(contiguous.numel()));
  Hdf5Lock lock;
  const hsize_t start[4] = {static_cast<hsize_t>(written_), 0, 0, 0};
  const hsize_t count[4] = {static_cast<hsize_t>(n), static_cast<hsize_t>(shape_.channels),
                            static_cast<hsize_t>(shape_.height), static_cast<hsize_t>(shape_.width)};
  Hdf5Id file_space = checked_id(H5Dget_space(images_.get()), path_, "cannot get dataspace");
  check_hdf5(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr), path_,
             "cannot select rows");
  Hdf5Id memory_space = checked_id(H5Screate_simple(4, count, nullptr), path_, "cannot create dataspace");
  check_hdf5(H5Dwrite(images_.get(), H5T_NATIVE_UINT8, memory_space.get(), file_space.get(), H5P_DEFAULT,
                      contiguous.data_ptr<std::uint8_t>()),
             path_, "cannot write images (disk full?)");
  if (with_labels_) {
    check_labels_tensor(labels, n, path_);
    const at::Tensor l = labels.to(at::kLong).contiguous();
    label_buffer_.insert(label_buffer_.end(), l.data_ptr<std::int64_t>(), l.data_ptr<std::int64_t>() + n);
  }
  written_ += n;
}

void DatasetWriter::set_text_attribute(const std::string& name, const std::string& value) {
  write_string_attribute(file_.get(), name, value, path_);
}

void DatasetWriter::write_extra_dataset(const std::string& name, const at::Tensor& tensor) {
  write_tensor_dataset(file_.get(), name, tensor, path_);
}

void DatasetWriter::finish() {
  if (written_ != shape_.count) {
    throw UserError(fmt::format("{}: wrote {} of the declared {} images", path_, written_, shape_.count));
  }
  {
    Hdf5Lock lock;
    if (with_labels_) {
      hash_.update(label_buffer_.data(), label_buffer_.size() * sizeof(std::int64_t));
      check_hdf5(H5Dwrite(labels_.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, label_buffer_.data()), path_,
                 "cannot write labels");
    }
    write_string_attribute(file_.get(), "content_hash", hash_.hex(), path_);
    check_hdf5(H5Fflush(file_.get(), H5F_SCOPE_GLOBAL), path_, "cannot flush");
    images_.reset();
    labels_.reset();
    file_.reset();
  }
  rename_durably(partial_path_, path_);
  finished_ = true;
}

DatasetFile::DatasetFile(std::string path) : path_(std::move(path)) {}

void DatasetFile::open() {
  if (opened_) return;
  Hdf5Lock lock;
  if (std::FILE* probe = std::fopen(path_.c_str(), "rb")) {
    std::fclose(probe);
  } else {
    throw UserError(path_ + ": no such file or not readable");
  }
  if (H5Fis_hdf5(path_.c_str()) <= 0) throw UserError(path_ + ": not an HDF5 file");
  const hid_t file = H5Fopen(path_.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0) {
    const std::string detail = hdf5_error_detail();
    if (detail.find("unable to lock") != std::string::npos) {
      throw UserError(path_ + ": cannot open: the file is locked by a writer" + detail +
                      "; on file systems without locking set HDF5_USE_FILE_LOCKING=FALSE");
    }
    throw UserError(path_ + ": cannot open: the HDF5 file is truncated or corrupt" + detail);
  }
  file_ = Hdf5Id(file);
  if (H5Lexists(file_.get(), "images", H5P_DEFAULT) <= 0) {
    throw UserError(path_ + ": no dataset '/images' (is this a scorch dataset file?)");
  }
  // No chunk cache: batches read scattered rows, and without a cache HDF5 reads
  // just the selected rows of an uncompressed chunk instead of the whole chunk.
  Hdf5Id access = checked_id(H5Pcreate(H5P_DATASET_ACCESS), path_, "cannot create property list");
  check_hdf5(H5Pset_chunk_cache(access.get(), 0, 0, 1.0), path_, "cannot configure the chunk cache");
  images_ = checked_id(H5Dopen2(file_.get(), "images", access.get()), path_, "cannot open /images");
  {
    Hdf5Id type = checked_id(H5Dget_type(images_.get()), path_, "cannot read the type of /images");
    if (H5Tget_class(type.get()) != H5T_INTEGER || H5Tget_size(type.get()) != 1 || H5Tget_sign(type.get()) != H5T_SGN_NONE) {
      throw UserError(path_ + ": /images must be uint8");
    }
    Hdf5Id space = checked_id(H5Dget_space(images_.get()), path_, "cannot read the shape of /images");
    const int rank = H5Sget_simple_extent_ndims(space.get());
    if (rank != 4) throw UserError(fmt::format("{}: /images must have rank 4 [N, C, H, W], has rank {}", path_, rank));
    hsize_t dims[4];
    H5Sget_simple_extent_dims(space.get(), dims, nullptr);
    shape_ = {static_cast<std::int64_t>(dims[0]), static_cast<std::int64_t>(dims[1]), static_cast<std::int64_t>(dims[2]),
              static_cast<std::int64_t>(dims[3])};
    if (shape_.count == 0 || shape_.image_bytes() == 0) throw UserError(path_ + ": /images is empty");
  }
  if (H5Lexists(file_.get(), "labels", H5P_DEFAULT) > 0) {
    labels_ = checked_id(H5Dopen2(file_.get(), "labels", H5P_DEFAULT), path_, "cannot open /labels");
    Hdf5Id type = checked_id(H5Dget_type(labels_.get()), path_, "cannot read the type of /labels");
    if (H5Tget_class(type.get()) != H5T_INTEGER || H5Tget_size(type.get()) != 8) {
      throw UserError(path_ + ": /labels must be int64");
    }
    Hdf5Id space = checked_id(H5Dget_space(labels_.get()), path_, "cannot read the shape of /labels");
    const int rank = H5Sget_simple_extent_ndims(space.get());
    hsize_t length = 0;
    if (rank == 1) H5Sget_simple_extent_dims(space.get(), &length, nullptr);
    if (rank != 1 || static_cast<std::int64_t>(length) != shape_.count) {
      throw UserError(fmt::format("{}: /labels must be [N] = [{}] to match /images, has rank {} and {} entries", path_,
                                  shape_.count, rank, rank == 1 ? length : 0));
    }
  }
  opened_ = true;
}

const DatasetShape& DatasetFile::shape() {
  open();
  return shape_;
}

bool DatasetFile::has_labels() {
  open();
  return labels_.valid();
}

DatasetAttributes DatasetFile::attributes() {
  open();
  DatasetAttributes attributes;
  attributes.format_version = read_int_attribute(file_.get(), "format_version", path_);
  attributes.source = read_string_attribute(file_.get(), "source", path_);
  attributes.split = read_string_attribute(file_.get(), "split", path_);
  attributes.content_hash = read_string_attribute(file_.get(), "content_hash", path_);
  return attributes;
}

// Reads the distinct rows in one H5Dread over a union of hyperslabs (runs of
// consecutive indices), then gathers them into the requested order.
at::Tensor DatasetFile::read_rows(const std::vector<std::int64_t>& indices, bool images) {
  open();
  const hid_t dataset = images ? images_.get() : labels_.get();
  for (std::int64_t i : indices) {
    if (i < 0 || i >= shape_.count) throw UserError(fmt::format("{}: index {} is out of range [0, {})", path_, i, shape_.count));
  }
  std::vector<std::int64_t> rows(indices);
  std::sort(rows.begin(), rows.end());
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());

  const int rank = images ? 4 : 1;
  const hsize_t width[4] = {1, static_cast<hsize_t>(shape_.channels), static_cast<hsize_t>(shape_.height),
                            static_cast<hsize_t>(shape_.width)};
  const at::Tensor out = images ? at::empty({static_cast<std::int64_t>(rows.size()), shape_.channels, shape_.height, shape_.width}, at::kByte)
                                : at::empty({static_cast<std::int64_t>(rows.size())}, at::kLong);
  if (!rows.empty()) {
    // One H5Dread per run of consecutive rows: HDF5 handles a union of many
    // hyperslabs far more slowly than the same rows read run by run.
    Hdf5Lock lock;
    Hdf5Id file_space = checked_id(H5Dget_space(dataset), path_, "cannot get dataspace");
    const hid_t memory_type = images ? H5T_NATIVE_UINT8 : H5T_NATIVE_INT64;
    const std::size_t row_bytes = images ? static_cast<std::size_t>(shape_.image_bytes()) : sizeof(std::int64_t);
    auto* destination = static_cast<std::uint8_t*>(out.data_ptr());
    std::size_t run_start = 0;
    for (std::size_t i = 1; i <= rows.size(); ++i) {
      if (i < rows.size() && rows[i] == rows[i - 1] + 1) continue;
      const hsize_t start[4] = {static_cast<hsize_t>(rows[run_start]), 0, 0, 0};
      const hsize_t count[4] = {static_cast<hsize_t>(i - run_start), width[1], width[2], width[3]};
      check_hdf5(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr), path_,
                 "cannot select rows");
      Hdf5Id memory_space = checked_id(H5Screate_simple(rank, count, nullptr), path_, "cannot create dataspace");
      check_hdf5(H5Dread(dataset, memory_type, memory_space.get(), file_space.get(), H5P_DEFAULT,
                         destination + run_start * row_bytes),
                 path_,
                 fmt::format("cannot read {} rows {}..{}: the file is truncated or corrupt",
                             images ? "image" : "label", rows[run_start], rows[i - 1]));
      run_start = i;
    }
  }
  // Position of each requested index among the distinct sorted rows.
  std::vector<std::int64_t> positions(indices.size());
  for (std::size_t i = 0; i < indices.size(); ++i) {
    positions[i] = std::lower_bound(rows.begin(), rows.end(), indices[i]) - rows.begin();
  }
  if (std::is_sorted(indices.begin(), indices.end()) && rows.size() == indices.size()) return out;
  return out.index_select(0, at::tensor(positions, at::kLong));
}

at::Tensor DatasetFile::read_images(const std::vector<std::int64_t>& indices) { return read_rows(indices, true); }

at::Tensor DatasetFile::read_images(std::int64_t start, std::int64_t count) {
  return read_rows(index_range(start, count), true);
}

at::Tensor DatasetFile::read_labels(const std::vector<std::int64_t>& indices) {
  if (!has_labels()) throw UserError(path_ + ": has no /labels");
  return read_rows(indices, false);
}

at::Tensor DatasetFile::read_labels(std::int64_t start, std::int64_t count) {
  return read_labels(index_range(start, count));
}

std::string DatasetFile::compute_content_hash() {
  open();
  ContentHash hash;
  for (std::int64_t start = 0; start < shape_.count; start += kScanRows) {
    const at::Tensor block = read_images(start, std::min(kScanRows, shape_.count - start));
    hash.update(block.data_ptr<std::uint8_t>(), static_cast<std::size_t>(block.numel()));
  }
  if (has_labels()) {
    const at::Tensor labels = read_labels(0, shape_.count);
    hash.update(labels.data_ptr<std::int64_t>(), static_cast<std::size_t>(labels.numel()) * sizeof(std::int64_t));
  }
  return hash.hex();
}

}  // namespace scorch::data
