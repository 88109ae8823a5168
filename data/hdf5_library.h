#pragma once
// Thin RAII and locking layer over the HDF5 C API. The serial HDF5 library is
// not thread-safe, and the loader reads from a prefetch thread, so every HDF5
// call in scorch holds hdf5_mutex(). HDF5's own error printing is switched off:
// failures become one-line UserErrors naming the file.
//
// File locking is left to HDF5, which honours HDF5_USE_FILE_LOCKING=FALSE
// (needed on some network file systems); we never override it.
#include <hdf5.h>

#include <cstdint>
#include <mutex>
#include <string>

namespace scorch::data {

std::recursive_mutex& hdf5_mutex();

// Takes the HDF5 mutex and, once per process, silences HDF5's error stack printing.
class Hdf5Lock {
 public:
  Hdf5Lock();

 private:
  std::lock_guard<std::recursive_mutex> guard_;
};

// Owns one HDF5 identifier and closes it with the matching H5*close.
class Hdf5Id {
 public:
  Hdf5Id() = default;
  explicit Hdf5Id(hid_t id) : id_(id) {}
  Hdf5Id(const Hdf5Id&) = delete;
  Hdf5Id& operator=(const Hdf5Id&) = delete;
  Hdf5Id(Hdf5Id&& other) noexcept : id_(other.id_) { other.id_ = -1; }
  Hdf5Id& operator=(Hdf5Id&& other) noexcept;
  ~Hdf5Id();

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  void reset();

 private:
  hid_t id_ = -1;
};

// The innermost message of HDF5's error stack as " (HDF5: ...)", or "" when
// there is none; clears the stack.
std::string hdf5_error_detail();

// Throws UserError("<file>: <what> (HDF5: <detail>)") when status is negative.
void check_hdf5(herr_t status, const std::string& file, const std::string& what);
// Wraps an identifier, throwing UserError when it is invalid.
Hdf5Id checked_id(hid_t id, const std::string& file, const std::string& what);

bool has_attribute(hid_t object, const std::string& name);
void write_string_attribute(hid_t object, const std::string& name, const std::string& value, const std::string& file);
void write_int_attribute(hid_t object, const std::string& name, std::int64_t value, const std::string& file);
std::string read_string_attribute(hid_t object, const std::string& name, const std::string& file);
std::int64_t read_int_attribute(hid_t object, const std::string& name, const std::string& file);

}  // namespace scorch::data
