#include "data/npz_archive.h"

#include "common/user_error.h"
#include "common/durable_file.h"
#include "data/zip_reader.h"

#include <zip.h>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <numeric>
#include <set>
#include <string_view>
#include <vector>

// Little-endian payloads are copied into tensors byte for byte.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the .npy reader assumes a little-endian host");

namespace scorch::data {
namespace {

constexpr std::string_view kNpyMagic("\x93NUMPY", 6);

struct NpyHeader {
  std::string descr;
  bool fortran_order = false;
  std::vector<std::int64_t> shape;
};

// The header is repr() of a dict, e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// padded with spaces. Only what numpy writes for plain arrays is understood:
// quoted strings, True/False and tuples of integers.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& name) : text_(text), name_(name) {}

  NpyHeader parse() {
    NpyHeader header;
    std::set<std::string> seen;
    expect('{');
    while (!consume('}')) {
      seen.insert(field(header));
      if (!consume(',')) {
        expect('}');
        break;
      }
    }
    if (seen.size() != 3) fail("descr, fortran_order or shape missing");
    return header;
  }

 private:
  std::string field(NpyHeader& header) {
    const std::string key = quoted();
    expect(':');
    if (key == "descr") {
      if (peek('[')) throw UserError(name_ + ": structured dtypes are not supported");
      header.descr = quoted();
    } else if (key == "fortran_order") {
      header.fortran_order = boolean();
    } else if (key == "shape") {
      header.shape = tuple();
    } else {
      fail("unexpected key '" + key + "'");
    }
    return key;
  }

  std::string quoted() {
    if (!peek('\'') && !peek('"')) fail("expected a quoted string");
    const char quote = text_[position_++];
    const std::size_t end = text_.find(quote, position_);
    if (end == std::string_view::npos) fail("unterminated string");
    std::string value(text_.substr(position_, end - position_));
    position_ = end + 1;
    return value;
  }

  bool boolean() {
    if (consume_word("True")) return true;
    if (consume_word("False")) return false;
    fail("fortran_order is neither True nor False");
  }

  std::vector<std::int64_t> tuple() {
    std::vector<std::int64_t> values;
    expect('(');
    while (!consume(')')) {
      values.push_back(dimension());
      if (!consume(',')) {
        expect(')');
        break;
      }
    }
    return values;
  }

  std::int64_t dimension() {
    skip_space();
    const std::size_t start = position_;
    std::int64_t value = 0;
    while (position_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[position_]))) {
      const int digit = text_[position_++] - '0';
      if (value > (std::numeric_limits<std::int64_t>::max() - digit) / 10) fail("dimension too large");
      value = value * 10 + digit;
    }
    if (position_ == start) fail("expected a dimension");
    if (position_ < text_.size() && text_[position_] == 'L') ++position_;  // Python 2 wrote longs as 4L
    return value;
  }

  void skip_space() {
    while (position_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[position_]))) ++position_;
  }

  bool peek(char c) {
    skip_space();
    return position_ < text_.size() && text_[position_] == c;
  }

  bool consume(char c) {
    if (!peek(c)) return false;
    ++position_;
    return true;
  }

  bool consume_word(std::string_view word) {
    skip_space();
    if (text_.substr(position_, word.size()) != word) return false;
    position_ += word.size();
    return true;
  }

  void expect(char c) {
    if (!consume(c)) fail(std::string("expected '") + c + "'");
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw UserError(name_ + ": malformed .npy header (" + what + ")");
  }

  std::string_view text_;
  const std::string& name_;
  std::size_t position_ = 0;
};

// The header text, and where the array data starts.
struct NpyLayout {
  std::string_view header;
  std::size_t data_offset;
};

NpyLayout npy_layout(const std::string& bytes, const std::string& name) {
  const std::string_view view(bytes);
  if (view.size() < 8 || view.substr(0, kNpyMagic.size()) != kNpyMagic) {
    throw UserError(name + ": not a .npy array (no \\x93NUMPY magic)");
  }
  // Version 1 stores the header length in 2 little-endian bytes, versions 2 and 3 in 4.
  const int major = static_cast<unsigned char>(view[6]);
  if (major < 1 || major > 3) throw UserError(fmt::format("{}: unsupported .npy format version {}", name, major));
  const std::size_t width = major == 1 ? 2 : 4;
  const std::size_t prefix = 8 + width;
  if (view.size() < prefix) throw UserError(name + ": truncated .npy header");
  std::size_t header_length = 0;
  for (std::size_t i = 0; i < width; ++i) {
    header_length |= static_cast<std::size_t>(static_cast<unsigned char>(view[8 + i])) << (8 * i);
  }
  if (header_length > view.size() - prefix) throw UserError(name + ": truncated .npy header");
  return {view.substr(prefix, header_length), prefix + header_length};
}

struct NpyType {
  at::ScalarType scalar_type;
  std::size_t itemsize;
};

const std::map<std::string, NpyType>& npy_types() {
  static const std::map<std::string, NpyType> types = {
      {"f4", {at::kFloat, 4}}, {"f8", {at::kDouble, 8}}, {"i4", {at::kInt, 4}},
      {"i8", {at::kLong, 8}},  {"u1", {at::kByte, 1}},   {"b1", {at::kBool, 1}},
  };
  return types;
}

NpyType npy_type(const std::string& descr, const std::string& name) {
  const std::map<std::string, NpyType>& types = npy_types();
  // '<' is little-endian and '|' "not applicable", which numpy writes for one-byte types.
  const bool little_endian = descr.size() == 3 && (descr[0] == '<' || descr[0] == '|');
  const auto found = little_endian ? types.find(descr.substr(1)) : types.end();
  if (found == types.end()) {
    throw UserError(name + ": unsupported dtype '" + descr +
                    "' (little-endian float32, float64, int32, int64, uint8 or bool expected)");
  }
  return found->second;
}

std::size_t data_size(const std::vector<std::int64_t>& shape, std::size_t itemsize, const std::string& name) {
  std::size_t size = itemsize;
  for (const std::int64_t dim : shape) {
    const auto extent = static_cast<std::size_t>(dim);
    if (extent != 0 && size > std::numeric_limits<std::size_t>::max() / extent) {
      throw UserError(name + ": shape too large");
    }
    size *= extent;
  }
  return size;
}

// Bytes other than 0 and 1 are not valid at::kBool values.
void check_booleans(const char* data, std::size_t size, const std::string& name) {
  if (std::any_of(data, data + size, [](char byte) { return static_cast<unsigned char>(byte) > 1; })) {
    throw UserError(name + ": a bool array holds bytes other than 0 and 1");
  }
}

// Fortran order stores the C layout of the transpose: read that, then reverse the dimensions back.
at::Tensor from_fortran_order(const at::Tensor& transposed) {
  std::vector<std::int64_t> order(static_cast<std::size_t>(transposed.dim()));
  std::iota(order.rbegin(), order.rend(), std::int64_t{0});
  return transposed.permute(order).contiguous();
}

bool is_npy_entry(const std::string& entry) {
  return entry.size() >= 4 && entry.compare(entry.size() - 4, 4, ".npy") == 0;
}

std::string descr_of(at::ScalarType type) {
  for (const auto& [name, entry] : npy_types()) {
    if (entry.scalar_type == type) return (entry.itemsize == 1 ? "|" : "<") + name;
  }
  throw UserError(std::string("no .npy dtype for ") + c10::toString(type));
}

struct ZipWriterCloser {
  void operator()(zip_t* archive) const { zip_discard(archive); }
};

}  // namespace

std::string npy_bytes(const at::Tensor& tensor) {
  const at::Tensor values = tensor.to(at::kCPU).contiguous();
  std::string shape;  // Python's repr of the shape tuple: (), (3,) or (2, 3)
  for (std::int64_t d = 0; d < values.dim(); ++d) shape += (d > 0 ? ", " : "") + std::to_string(values.size(d));
  if (values.dim() == 1) shape += ",";
  std::string header = "{'descr': '" + descr_of(values.scalar_type()) + "', 'fortran_order': False, 'shape': (" +
                       shape + "), }";
  // numpy pads the header with spaces and a newline so that the data starts at a multiple of 64 bytes.
  const std::size_t unpadded = 10 + header.size() + 1;
  header += std::string((64 - unpadded % 64) % 64, ' ') + "\n";
  std::string bytes("\x93NUMPY\x01\x00", 8);
  bytes += static_cast<char>(header.size() & 0xff);
  bytes += static_cast<char>((header.size() >> 8) & 0xff);
  bytes += header;
  bytes.append(static_cast<const char*>(values.data_ptr()), static_cast<std::size_t>(values.nbytes()));
  return bytes;
}

void write_npz(const std::string& path, const std::map<std::string, at::Tensor>& arrays, bool compressed) {
  const std::string temporary = path + ".tmp";
  std::vector<std::string> payloads;
  payloads.reserve(arrays.size());  // zip_source_buffer keeps pointers into them until zip_close
  {
    int code = 0;
    std::unique_ptr<zip_t, ZipWriterCloser> archive(zip_open(temporary.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &code));
    if (!archive) throw UserError(path + ": cannot create (libzip error " + std::to_string(code) + ")");
    for (const auto& [name, tensor] : arrays) {
      payloads.push_back(npy_bytes(tensor));
      zip_source_t* source = zip_source_buffer(archive.get(), payloads.back().data(), payloads.back().size(), 0);
      const zip_int64_t index = source ? zip_file_add(archive.get(), (name + ".npy").c_str(), source, ZIP_FL_OVERWRITE) : -1;
      if (index < 0) {
        if (source) zip_source_free(source);
        throw UserError(path + ": cannot add " + name + " (" + zip_strerror(archive.get()) + ")");
      }
      zip_set_file_compression(archive.get(), static_cast<zip_uint64_t>(index), compressed ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 0);
    }
    if (zip_close(archive.get()) != 0) throw UserError(path + ": cannot write (" + zip_strerror(archive.get()) + ")");
    archive.release();  // zip_close freed it
  }
  rename_durably(temporary, path);
}

at::Tensor parse_npy(const std::string& bytes, const std::string& name) {
  const NpyLayout layout = npy_layout(bytes, name);
  const NpyHeader header = HeaderParser(layout.header, name).parse();
  const NpyType type = npy_type(header.descr, name);
  const std::size_t expected = data_size(header.shape, type.itemsize, name);
  const std::size_t actual = bytes.size() - layout.data_offset;
  if (actual != expected) {
    throw UserError(fmt::format("{}: {} bytes of data where dtype '{}' and shape ({}) need {} (truncated or corrupt)",
                                name, actual, header.descr, fmt::join(header.shape, ", "), expected));
  }
  const char* data = bytes.data() + layout.data_offset;
  if (type.scalar_type == at::kBool) check_booleans(data, actual, name);

  std::vector<std::int64_t> stored_shape = header.shape;
  if (header.fortran_order) std::reverse(stored_shape.begin(), stored_shape.end());
  at::Tensor tensor = at::empty(stored_shape, at::TensorOptions().dtype(type.scalar_type));
  if (actual > 0) std::memcpy(tensor.data_ptr(), data, actual);
  return header.fortran_order ? from_fortran_order(tensor) : tensor;
}

std::map<std::string, at::Tensor> read_npz(const std::string& path) {
  const ZipReader archive(path, "numpy .npz expected");
  std::map<std::string, at::Tensor> arrays;
  const std::vector<std::string> entries = archive.entry_names();
  for (std::size_t index = 0; index < entries.size(); ++index) {
    const std::string& entry = entries[index];
    if (!is_npy_entry(entry)) continue;
    const std::string where = path + ": " + entry;
    const std::string key = entry.substr(0, entry.size() - 4);
    if (arrays.count(key)) throw UserError(where + ": appears twice");
    arrays.emplace(key, parse_npy(archive.read(index), where));
  }
  if (arrays.empty()) throw UserError(path + ": no .npy arrays (numpy .npz expected)");
  return arrays;
}

}  // namespace scorch::data
