#include "data/hdf5_library.h"

#include "common/user_error.h"

#include <vector>

namespace scorch::data {

std::recursive_mutex& hdf5_mutex() {
  static std::recursive_mutex mutex;
  return mutex;
}

Hdf5Lock::Hdf5Lock() : guard_(hdf5_mutex()) {
  // Debian's HDF5 is a thread-safe build with one error stack per thread, each
  // starting with printing on: silence it once on every thread (the loader's
  // prefetch thread included).
  thread_local const bool silenced = [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)silenced;
}

Hdf5Id& Hdf5Id::operator=(Hdf5Id&& other) noexcept {
  if (this != &other) {
    reset();
    id_ = other.id_;
    other.id_ = -1;
  }
  return *this;
}

Hdf5Id::~Hdf5Id() { reset(); }

void Hdf5Id::reset() {
  if (id_ < 0) return;
  Hdf5Lock lock;
  switch (H5Iget_type(id_)) {
    case H5I_FILE: H5Fclose(id_); break;
    case H5I_DATASET: H5Dclose(id_); break;
    case H5I_DATASPACE: H5Sclose(id_); break;
    case H5I_DATATYPE: H5Tclose(id_); break;
    case H5I_ATTR: H5Aclose(id_); break;
    case H5I_GROUP: H5Gclose(id_); break;
    case H5I_GENPROP_LST: H5Pclose(id_); break;
    default: break;
  }
  id_ = -1;
}

namespace {
herr_t keep_innermost(unsigned position, const H5E_error2_t* error, void* innermost) {
  // The walk starts at the innermost frame; its description is the root cause.
  if (position == 0 && error->desc != nullptr) *static_cast<std::string*>(innermost) = error->desc;
  return 0;
}

}  // namespace

std::string hdf5_error_detail() {
  std::string innermost;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, keep_innermost, &innermost);
  H5Eclear2(H5E_DEFAULT);
  return innermost.empty() ? "" : " (HDF5: " + innermost + ")";
}

void check_hdf5(herr_t status, const std::string& file, const std::string& what) {
  if (status < 0) throw UserError(file + ": " + what + hdf5_error_detail());
}

Hdf5Id checked_id(hid_t id, const std::string& file, const std::string& what) {
  if (id < 0) throw UserError(file + ": " + what + hdf5_error_detail());
  return Hdf5Id(id);
}

bool has_attribute(hid_t object, const std::string& name) {
  Hdf5Lock lock;
  return H5Aexists(object, name.c_str()) > 0;
}

void write_string_attribute(hid_t object, const std::string& name, const std::string& value, const std::string& file) {
  Hdf5Lock lock;
  // Fixed-length UTF-8 strings: h5py reads them as bytes/str without extra handling.
  Hdf5Id type = checked_id(H5Tcopy(H5T_C_S1), file, "cannot create string type");
  check_hdf5(H5Tset_size(type.get(), value.empty() ? 1 : value.size()), file, "cannot size string type");
  check_hdf5(H5Tset_cset(type.get(), H5T_CSET_UTF8), file, "cannot set string encoding");
  Hdf5Id space = checked_id(H5Screate(H5S_SCALAR), file, "cannot create dataspace");
  if (H5Aexists(object, name.c_str()) > 0) H5Adelete(object, name.c_str());
  Hdf5Id attribute = checked_id(H5Acreate2(object, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
                                file, "cannot create attribute " + name);
  const std::string padded = value.empty() ? std::string(1, '\0') : value;
  check_hdf5(H5Awrite(attribute.get(), type.get(), padded.data()), file, "cannot write attribute " + name);
}

void write_int_attribute(hid_t object, const std::string& name, std::int64_t value, const std::string& file) {
  Hdf5Lock lock;
  Hdf5Id space = checked_id(H5Screate(H5S_SCALAR), file, "cannot create dataspace");
  if (H5Aexists(object, name.c_str()) > 0) H5Adelete(object, name.c_str());
  Hdf5Id attribute = checked_id(
      H5Acreate2(object, name.c_str(), H5T_STD_I64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT), file,
      "cannot create attribute " + name);
  check_hdf5(H5Awrite(attribute.get(), H5T_NATIVE_INT64, &value), file, "cannot write attribute " + name);
}

namespace {
// Opens an attribute that must hold exactly one element: the reads below size
// their buffers for one.
Hdf5Id open_scalar_attribute(hid_t object, const std::string& name, const std::string& file) {
  Hdf5Id attribute = checked_id(H5Aopen(object, name.c_str(), H5P_DEFAULT), file, "missing attribute '" + name + "'");
  Hdf5Id space = checked_id(H5Aget_space(attribute.get()), file, "cannot read the shape of attribute " + name);
  if (H5Sget_simple_extent_npoints(space.get()) != 1) {
    throw UserError(file + ": attribute '" + name + "' must hold a single value");
  }
  return attribute;
}
}  // namespace

std::string read_string_attribute(hid_t object, const std::string& name, const std::string& file) {
  Hdf5Lock lock;
  Hdf5Id attribute = open_scalar_attribute(object, name, file);
  Hdf5Id type = checked_id(H5Aget_type(attribute.get()), file, "cannot read type of attribute " + name);
  if (H5Tget_class(type.get()) != H5T_STRING) throw UserError(file + ": attribute '" + name + "' is not a string");
  if (H5Tis_variable_str(type.get()) > 0) {
    Hdf5Id memory_type = checked_id(H5Tcopy(H5T_C_S1), file, "cannot create string type");
    H5Tset_size(memory_type.get(), H5T_VARIABLE);
    // h5py writes UTF-8 strings; HDF5 refuses to convert between character sets.
    H5Tset_cset(memory_type.get(), H5Tget_cset(type.get()));
    char* text = nullptr;
    check_hdf5(H5Aread(attribute.get(), memory_type.get(), &text), file, "cannot read attribute " + name);
    std::string value = text != nullptr ? text : "";
    H5free_memory(text);
    return value;
  }
  const std::size_t size = H5Tget_size(type.get());
  std::vector<char> buffer(size + 1, '\0');
  check_hdf5(H5Aread(attribute.get(), type.get(), buffer.data()), file, "cannot read attribute " + name);
  return std::string(buffer.data());
}

std::int64_t read_int_attribute(hid_t object, const std::string& name, const std::string& file) {
  Hdf5Lock lock;
  Hdf5Id attribute = open_scalar_attribute(object, name, file);
  std::int64_t value = 0;
  check_hdf5(H5Aread(attribute.get(), H5T_NATIVE_INT64, &value), file, "cannot read integer attribute " + name);
  return value;
}

}  // namespace scorch::data
