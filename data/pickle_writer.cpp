#include "data/pickle_writer.h"

#include "common/user_error.h"

#include <cstring>
#include <limits>

// Opcodes are pickle's own one-byte names (Python's Lib/pickle.py lists them);
// binary integers are little-endian and BINFLOAT is big-endian, as defined there.
namespace scorch::data {
namespace {

void append_little_endian(std::string& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

// Two's complement, least significant byte first, in the fewest bytes that keep the sign (LONG1's payload).
std::string long_bytes(std::int64_t value) {
  std::string bytes;
  auto bits = static_cast<std::uint64_t>(value);
  for (int i = 0; i < 8; ++i) {
    bytes.push_back(static_cast<char>(bits & 0xff));
    bits >>= 8;
  }
  while (bytes.size() > 1) {
    const auto last = static_cast<unsigned char>(bytes.back());
    const auto before = static_cast<unsigned char>(bytes[bytes.size() - 2]);
    const bool redundant = (last == 0x00 && (before & 0x80) == 0) || (last == 0xff && (before & 0x80) != 0);
    if (!redundant) break;
    bytes.pop_back();
  }
  return bytes;
}

}  // namespace

PickleWriter::PickleWriter(TensorHook tensor_hook) : tensor_hook_(std::move(tensor_hook)) {
  out_ = "\x80\x02";  // PROTO 2
}

void PickleWriter::integer(std::int64_t value) {
  if (value >= 0 && value < 256) {
    out_.push_back('K');  // BININT1
    out_.push_back(static_cast<char>(value));
  } else if (value >= 0 && value < 65536) {
    out_.push_back('M');  // BININT2
    append_little_endian(out_, static_cast<std::uint64_t>(value), 2);
  } else if (value >= std::numeric_limits<std::int32_t>::min() && value <= std::numeric_limits<std::int32_t>::max()) {
    out_.push_back('J');  // BININT
    append_little_endian(out_, static_cast<std::uint32_t>(static_cast<std::int32_t>(value)), 4);
  } else {
    const std::string bytes = long_bytes(value);
    out_.push_back('\x8a');  // LONG1
    out_.push_back(static_cast<char>(bytes.size()));
    out_ += bytes;
  }
}

void PickleWriter::text(std::string_view value) {
  if (value.size() > std::numeric_limits<std::uint32_t>::max()) throw UserError("pickle: a string over 4 GiB");
  out_.push_back('X');  // BINUNICODE, UTF-8
  append_little_endian(out_, value.size(), 4);
  out_ += value;
}

void PickleWriter::global(std::string_view module, std::string_view name) {
  out_.push_back('c');
  out_ += module;
  out_.push_back('\n');
  out_ += name;
  out_.push_back('\n');
}

void PickleWriter::mark() { out_.push_back('('); }
void PickleWriter::tuple_from_mark() { out_.push_back('t'); }
void PickleWriter::reduce() { out_.push_back('R'); }
void PickleWriter::persistent_id() { out_.push_back('Q'); }

void PickleWriter::write(const PickleValue& value) {
  if (value.is_none()) {
    out_.push_back('N');
  } else if (value.is_bool()) {
    out_.push_back(value.as_bool("") ? '\x88' : '\x89');  // NEWTRUE / NEWFALSE
  } else if (value.is_integer()) {
    integer(value.as_integer(""));
  } else if (value.is_big_integer()) {
    const std::string& bytes = value.as_big_integer("");
    out_.push_back('\x8b');  // LONG4
    append_little_endian(out_, bytes.size(), 4);
    out_ += bytes;
  } else if (value.is_real()) {
    out_.push_back('G');
    std::uint64_t bits = 0;
    const double real = value.as_real("");
    std::memcpy(&bits, &real, sizeof bits);
    for (int i = 7; i >= 0; --i) out_.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
  } else if (value.is_string()) {
    text(value.as_string(""));
  } else if (value.is_bytes()) {
    // Protocol 2 has no bytes opcode; Python 3 writes _codecs.encode(latin-1 text, 'latin1').
    std::string latin1;
    for (const char c : value.as_bytes("")) {
      const auto byte = static_cast<unsigned char>(c);
      if (byte < 0x80) {
        latin1.push_back(c);
      } else {
        latin1.push_back(static_cast<char>(0xc0 | (byte >> 6)));
        latin1.push_back(static_cast<char>(0x80 | (byte & 0x3f)));
      }
    }
    global("_codecs", "encode");
    mark();
    text(latin1);
    text("latin1");
    tuple_from_mark();
    reduce();
  } else if (value.is_list()) {
    out_.push_back(']');  // EMPTY_LIST
    const auto& items = value.items("");
    if (!items.empty()) {
      mark();
      for (const PickleValue& item : items) write(item);
      out_.push_back('e');  // APPENDS
    }
  } else if (value.is_tuple()) {
    const auto& items = value.items("");
    if (items.empty()) {
      out_.push_back(')');  // EMPTY_TUPLE
    } else {
      mark();
      for (const PickleValue& item : items) write(item);
      tuple_from_mark();
    }
  } else if (value.is_dict()) {
    out_.push_back('}');  // EMPTY_DICT
    const auto& entries = value.entries("");
    if (!entries.empty()) {
      mark();
      for (const auto& [key, item] : entries) {
        write(key);
        write(item);
      }
      out_.push_back('u');  // SETITEMS
    }
  } else if (value.is_global()) {
    const PickleGlobal& g = value.as_global("");
    global(g.module, g.name);
  } else if (value.is_object()) {
    const PickleObject& object = value.as_object("");
    if (!object.arguments || !object.arguments->is_tuple()) {
      throw UserError("pickle: " + object.type.qualified() + " needs a tuple of arguments");
    }
    global(object.type.module, object.type.name);
    write(*object.arguments);
    reduce();
    if (object.state) {
      write(*object.state);
      out_.push_back('b');  // BUILD
    }
  } else if (value.is_tensor()) {
    if (!tensor_hook_) throw UserError("pickle: a tensor, and no storage to write it to");
    tensor_hook_(*this, value.as_tensor(""));
  }
}

std::string PickleWriter::finish() {
  out_.push_back('.');  // STOP
  return std::move(out_);
}

}  // namespace scorch::data
