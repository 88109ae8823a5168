#include "data/python_pickle.h"

#include "common/user_error.h"

#include <fmt/format.h>

#include <cstring>
#include <unordered_map>

// Binary integers and floats are read as the little-endian (and, for
// BINFLOAT, big-endian) bytes pickle defines, assembled byte by byte.
namespace scorch::data {

PickleValue PickleValue::boolean(bool value) {
  PickleValue v;
  v.value_ = value;
  return v;
}
PickleValue PickleValue::integer(std::int64_t value) {
  PickleValue v;
  v.value_ = value;
  return v;
}
PickleValue PickleValue::real(double value) {
  PickleValue v;
  v.value_ = value;
  return v;
}
PickleValue PickleValue::string(std::string value) {
  PickleValue v;
  v.value_ = std::move(value);
  return v;
}
PickleValue PickleValue::bytes(std::string value) {
  PickleValue v;
  v.value_ = PickleBytes{std::move(value)};
  return v;
}
PickleValue PickleValue::big_integer(std::string little_endian) {
  PickleValue v;
  v.value_ = PickleBigInteger{std::move(little_endian)};
  return v;
}
PickleValue PickleValue::list(List items) {
  PickleValue v;
  v.value_ = std::make_shared<List>(std::move(items));
  return v;
}
PickleValue PickleValue::tuple(List items) {
  PickleValue v;
  v.value_ = Tuple{std::make_shared<const List>(std::move(items))};
  return v;
}
PickleValue PickleValue::dict(Dict entries) {
  PickleValue v;
  v.value_ = std::make_shared<Dict>(std::move(entries));
  return v;
}
PickleValue PickleValue::global(PickleGlobal global) {
  PickleValue v;
  v.value_ = std::move(global);
  return v;
}
PickleValue PickleValue::object(PickleObject object) {
  PickleValue v;
  v.value_ = std::make_shared<PickleObject>(std::move(object));
  return v;
}
PickleValue PickleValue::tensor(at::Tensor tensor) {
  PickleValue v;
  v.value_ = std::move(tensor);
  return v;
}

std::string PickleValue::type_name() const {
  if (is_none()) return "None";
  if (is_bool()) return "bool";
  if (is_integer() || is_big_integer()) return "int";
  if (is_real()) return "float";
  if (is_string()) return "str";
  if (is_bytes()) return "bytes";
  if (is_list()) return "list";
  if (is_tuple()) return "tuple";
  if (is_dict()) return "dict";
  if (is_global()) return "global " + std::get<PickleGlobal>(value_).qualified();
  if (is_object()) return std::get<std::shared_ptr<PickleObject>>(value_)->type.qualified();
  return "tensor";
}

namespace {

[[noreturn]] void wrong_type(const std::string& what, const char* expected, const PickleValue& found) {
  throw UserError(fmt::format("{}: expected {}, found {}", what, expected, found.type_name()));
}

}  // namespace

bool PickleValue::as_bool(const std::string& what) const {
  if (!is_bool()) wrong_type(what, "a bool", *this);
  return std::get<bool>(value_);
}
std::int64_t PickleValue::as_integer(const std::string& what) const {
  if (!is_integer()) wrong_type(what, "an integer", *this);
  return std::get<std::int64_t>(value_);
}
double PickleValue::as_real(const std::string& what) const {
  if (is_integer()) return static_cast<double>(std::get<std::int64_t>(value_));
  if (!is_real()) wrong_type(what, "a number", *this);
  return std::get<double>(value_);
}
const std::string& PickleValue::as_string(const std::string& what) const {
  if (!is_string()) wrong_type(what, "a string", *this);
  return std::get<std::string>(value_);
}
const std::string& PickleValue::as_bytes(const std::string& what) const {
  if (!is_bytes()) wrong_type(what, "bytes", *this);
  return std::get<PickleBytes>(value_).data;
}
const std::string& PickleValue::as_big_integer(const std::string& what) const {
  if (!is_big_integer()) wrong_type(what, "an integer wider than 64 bits", *this);
  return std::get<PickleBigInteger>(value_).little_endian;
}
const PickleValue::List& PickleValue::items(const std::string& what) const {
  if (is_list()) return *std::get<std::shared_ptr<List>>(value_);
  if (!is_tuple()) wrong_type(what, "a list or tuple", *this);
  return *std::get<Tuple>(value_).items;
}
const PickleValue::Dict& PickleValue::entries(const std::string& what) const {
  if (!is_dict()) wrong_type(what, "a dict", *this);
  return *std::get<std::shared_ptr<Dict>>(value_);
}
const PickleGlobal& PickleValue::as_global(const std::string& what) const {
  if (!is_global()) wrong_type(what, "a global", *this);
  return std::get<PickleGlobal>(value_);
}
const PickleObject& PickleValue::as_object(const std::string& what) const {
  if (!is_object()) wrong_type(what, "an object", *this);
  return *std::get<std::shared_ptr<PickleObject>>(value_);
}
const at::Tensor& PickleValue::as_tensor(const std::string& what) const {
  if (!is_tensor()) wrong_type(what, "a tensor", *this);
  return std::get<at::Tensor>(value_);
}
PickleValue::List& PickleValue::mutable_list(const std::string& what) {
  if (!is_list()) wrong_type(what, "a list", *this);
  return *std::get<std::shared_ptr<List>>(value_);
}
PickleValue::Dict& PickleValue::mutable_dict(const std::string& what) {
  if (!is_dict()) wrong_type(what, "a dict", *this);
  return *std::get<std::shared_ptr<Dict>>(value_);
}
PickleObject& PickleValue::mutable_object(const std::string& what) {
  if (!is_object()) wrong_type(what, "an object", *this);
  return *std::get<std::shared_ptr<PickleObject>>(value_);
}

const PickleValue* PickleValue::find(std::string_view key) const {
  if (!is_dict()) return nullptr;
  for (const auto& [name, value] : *std::get<std::shared_ptr<Dict>>(value_)) {
    if (name.is_string() && name.as_string("key") == key) return &value;
  }
  return nullptr;
}

namespace {

class Unpickler {
 public:
  Unpickler(std::string_view bytes, std::size_t position, const PickleHooks& hooks, const std::string& name)
      : bytes_(bytes), position_(position), hooks_(hooks), name_(name) {}

  PickleValue run(std::size_t& end) {
    for (;;) {
      const std::size_t at = position_;
      const auto opcode = static_cast<unsigned char>(take(1)[0]);
      if (opcode == '.') {
        if (stack_.size() != 1 || !marks_.empty()) fail(at, "STOP with an unbalanced stack");
        end = position_;
        return pop(at);
      }
      step(opcode, at);
    }
  }

 private:
  [[noreturn]] void fail(std::size_t at, const std::string& why) const {
    throw UserError(fmt::format("{}: bad pickle at byte {}: {}", name_, at, why));
  }

  std::string_view take(std::size_t count) {
    if (count > bytes_.size() - position_) {
      throw UserError(fmt::format("{}: truncated (the pickle ends at byte {} in mid-record)", name_, bytes_.size()));
    }
    const std::string_view out = bytes_.substr(position_, count);
    position_ += count;
    return out;
  }
  std::uint64_t unsigned_le(std::size_t count) {
    const std::string_view raw = take(count);
    std::uint64_t value = 0;
    for (std::size_t i = count; i-- > 0;) value = (value << 8) | static_cast<unsigned char>(raw[i]);
    return value;
  }
  std::string_view line() {
    const std::size_t end = bytes_.find('\n', position_);
    if (end == std::string_view::npos) take(bytes_.size() - position_ + 1);  // reports the truncation
    const std::string_view out = bytes_.substr(position_, end - position_);
    position_ = end + 1;
    return out;
  }
  std::uint64_t decimal(std::size_t at) {
    const std::string text(line());
    std::size_t used = 0;
    try {
      const long long value = std::stoll(text, &used);
      if (used == text.size() && value >= 0) return static_cast<std::uint64_t>(value);
    } catch (const std::exception&) {
    }
    fail(at, "'" + text + "' is not a non-negative decimal");
  }
  std::size_t length(std::size_t count, std::size_t at) {
    const std::uint64_t size = unsigned_le(count);
    if (size > bytes_.size() - position_) take(bytes_.size() - position_ + 1);
    if (size > (std::uint64_t{1} << 40)) fail(at, "implausible length");
    return static_cast<std::size_t>(size);
  }

  PickleValue pop(std::size_t at) {
    if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back())) fail(at, "stack underflow");
    PickleValue value = std::move(stack_.back());
    stack_.pop_back();
    return value;
  }
  PickleValue& top(std::size_t at) {
    if (stack_.empty()) fail(at, "stack underflow");
    return stack_.back();
  }
  // Everything above the last MARK, which is removed.
  PickleValue::List pop_to_mark(std::size_t at) {
    if (marks_.empty()) fail(at, "no MARK");
    const std::size_t mark = marks_.back();
    marks_.pop_back();
    PickleValue::List items(std::make_move_iterator(stack_.begin() + static_cast<std::ptrdiff_t>(mark)),
                            std::make_move_iterator(stack_.end()));
    stack_.resize(mark);
    return items;
  }
  void memo_put(std::uint64_t key, std::size_t at) { memo_[key] = top(at); }
  void memo_get(std::uint64_t key, std::size_t at) {
    const auto found = memo_.find(key);
    if (found == memo_.end()) fail(at, fmt::format("memo key {} was never stored", key));
    stack_.push_back(found->second);
  }

  PickleValue call(PickleValue callable, PickleValue arguments, std::size_t at) {
    if (!callable.is_global()) fail(at, "a call of " + callable.type_name() + ", not of a global");
    if (!arguments.is_tuple()) fail(at, "call arguments are a " + arguments.type_name() + ", not a tuple");
    const PickleGlobal& global = callable.as_global("callable");
    if (hooks_.call) return hooks_.call(global, arguments);
    return PickleValue::object({global, std::make_shared<PickleValue>(std::move(arguments)), nullptr});
  }

  static PickleValue integer_from_le(std::string_view raw) {
    if (raw.size() > 8) return PickleValue::big_integer(std::string(raw));
    std::uint64_t value = 0;
    for (std::size_t i = raw.size(); i-- > 0;) value = (value << 8) | static_cast<unsigned char>(raw[i]);
    if (!raw.empty() && raw.size() < 8 && (static_cast<unsigned char>(raw.back()) & 0x80)) {
      value |= ~std::uint64_t{0} << (8 * raw.size());  // sign-extend
    }
    return PickleValue::integer(static_cast<std::int64_t>(value));
  }

  void set_items(PickleValue& target, PickleValue::List items, std::size_t at) {
    if (items.size() % 2 != 0) fail(at, "SETITEMS with an odd number of values");
    PickleValue::Dict& dict = target.mutable_dict(name_);
    for (std::size_t i = 0; i < items.size(); i += 2) {
      // A repeated key replaces the earlier value, as in Python.
      bool replaced = false;
      if (items[i].is_string()) {
        for (auto& [key, value] : dict) {
          if (key.is_string() && key.as_string("key") == items[i].as_string("key")) {
            value = std::move(items[i + 1]);
            replaced = true;
            break;
          }
        }
      }
      if (!replaced) dict.emplace_back(std::move(items[i]), std::move(items[i + 1]));
    }
  }

  void step(unsigned char opcode, std::size_t at) {
    switch (opcode) {
      case 0x80:  // PROTO
        if (unsigned_le(1) > 5) fail(at, "pickle protocol above 5");
        return;
      case 0x95:  // FRAME: only a read-ahead hint
        unsigned_le(8);
        return;
      case '(':
        marks_.push_back(stack_.size());
        return;
      case '0':
        pop(at);
        return;
      case '1':
        pop_to_mark(at);
        return;
      case '2':
        stack_.push_back(top(at));
        return;
      case 'N':
        stack_.push_back(PickleValue::none());
        return;
      case 0x88:
        stack_.push_back(PickleValue::boolean(true));
        return;
      case 0x89:
        stack_.push_back(PickleValue::boolean(false));
        return;
      case 'J':
        stack_.push_back(PickleValue::integer(static_cast<std::int32_t>(static_cast<std::uint32_t>(unsigned_le(4)))));
        return;
      case 'K':
        stack_.push_back(PickleValue::integer(static_cast<std::int64_t>(unsigned_le(1))));
        return;
      case 'M':
        stack_.push_back(PickleValue::integer(static_cast<std::int64_t>(unsigned_le(2))));
        return;
      case 0x8a:  // LONG1
        stack_.push_back(integer_from_le(take(length(1, at))));
        return;
      case 0x8b:  // LONG4
        stack_.push_back(integer_from_le(take(length(4, at))));
        return;
      case 'G': {  // BINFLOAT: big-endian IEEE double
        const std::string_view raw = take(8);
        std::uint64_t bits = 0;
        for (const char c : raw) bits = (bits << 8) | static_cast<unsigned char>(c);
        double value = 0.0;
        std::memcpy(&value, &bits, sizeof value);
        stack_.push_back(PickleValue::real(value));
        return;
      }
      case 'X':
        stack_.push_back(PickleValue::string(std::string(take(length(4, at)))));
        return;
      case 0x8c:
        stack_.push_back(PickleValue::string(std::string(take(length(1, at)))));
        return;
      case 0x8d:
        stack_.push_back(PickleValue::string(std::string(take(length(8, at)))));
        return;
      case 'T':  // BINSTRING and SHORT_BINSTRING: Python 2 str, read as text
        stack_.push_back(PickleValue::string(std::string(take(length(4, at)))));
        return;
      case 'U':
        stack_.push_back(PickleValue::string(std::string(take(length(1, at)))));
        return;
      case 'B':
        stack_.push_back(PickleValue::bytes(std::string(take(length(4, at)))));
        return;
      case 'C':
        stack_.push_back(PickleValue::bytes(std::string(take(length(1, at)))));
        return;
      case 0x8e:
        stack_.push_back(PickleValue::bytes(std::string(take(length(8, at)))));
        return;
      case ')':
        stack_.push_back(PickleValue::tuple({}));
        return;
      case 0x85:
      case 0x86:
      case 0x87: {
        const std::size_t count = opcode - 0x84u;
        if (stack_.size() < count + (marks_.empty() ? 0 : marks_.back())) fail(at, "stack underflow");
        PickleValue::List items(std::make_move_iterator(stack_.end() - static_cast<std::ptrdiff_t>(count)),
                                std::make_move_iterator(stack_.end()));
        stack_.resize(stack_.size() - count);
        stack_.push_back(PickleValue::tuple(std::move(items)));
        return;
      }
      case 't':
        stack_.push_back(PickleValue::tuple(pop_to_mark(at)));
        return;
      case 0x91:  // FROZENSET: kept as a tuple
        stack_.push_back(PickleValue::tuple(pop_to_mark(at)));
        return;
      case ']':
      case 0x8f:  // EMPTY_SET: kept as a list
        stack_.push_back(PickleValue::list());
        return;
      case 'l':
        stack_.push_back(PickleValue::list(pop_to_mark(at)));
        return;
      case 'a': {
        PickleValue item = pop(at);
        top(at).mutable_list(name_).push_back(std::move(item));
        return;
      }
      case 'e':
      case 0x90: {  // APPENDS, ADDITEMS
        PickleValue::List items = pop_to_mark(at);
        PickleValue::List& list = top(at).mutable_list(name_);
        for (auto& item : items) list.push_back(std::move(item));
        return;
      }
      case '}':
        stack_.push_back(PickleValue::dict());
        return;
      case 'd': {
        PickleValue dict = PickleValue::dict();
        set_items(dict, pop_to_mark(at), at);
        stack_.push_back(std::move(dict));
        return;
      }
      case 's': {
        PickleValue value = pop(at);
        PickleValue key = pop(at);
        PickleValue::List pair;
        pair.push_back(std::move(key));
        pair.push_back(std::move(value));
        set_items(top(at), std::move(pair), at);
        return;
      }
      case 'u': {
        PickleValue::List items = pop_to_mark(at);
        set_items(top(at), std::move(items), at);
        return;
      }
      case 'q':
        memo_put(unsigned_le(1), at);
        return;
      case 'r':
        memo_put(unsigned_le(4), at);
        return;
      case 'p':
        memo_put(decimal(at), at);
        return;
      case 0x94:  // MEMOIZE
        memo_put(memo_.size(), at);
        return;
      case 'h':
        memo_get(unsigned_le(1), at);
        return;
      case 'j':
        memo_get(unsigned_le(4), at);
        return;
      case 'g':
        memo_get(decimal(at), at);
        return;
      case 'c': {
        std::string module(line());
        std::string name(line());
        stack_.push_back(PickleValue::global({std::move(module), std::move(name)}));
        return;
      }
      case 0x93: {  // STACK_GLOBAL
        const PickleValue name = pop(at);
        const PickleValue module = pop(at);
        stack_.push_back(PickleValue::global({module.as_string(name_), name.as_string(name_)}));
        return;
      }
      case 'R':
      case 0x81: {  // REDUCE, NEWOBJ
        PickleValue arguments = pop(at);
        PickleValue callable = pop(at);
        stack_.push_back(call(std::move(callable), std::move(arguments), at));
        return;
      }
      case 0x92: {  // NEWOBJ_EX
        const PickleValue keywords = pop(at);
        PickleValue arguments = pop(at);
        PickleValue callable = pop(at);
        if (!keywords.entries(name_).empty()) fail(at, "keyword arguments in NEWOBJ_EX");
        stack_.push_back(call(std::move(callable), std::move(arguments), at));
        return;
      }
      case 'b': {  // BUILD: attributes of dicts and tensors (a state dict's _metadata) are dropped
        PickleValue state = pop(at);
        PickleValue& target = top(at);
        if (target.is_object()) target.mutable_object(name_).state = std::make_shared<PickleValue>(std::move(state));
        return;
      }
      case 'Q': {
        if (!hooks_.persistent_load) fail(at, "a persistent id, which this file kind does not use");
        const PickleValue id = pop(at);
        stack_.push_back(hooks_.persistent_load(id));
        return;
      }
      case 'P': {
        if (!hooks_.persistent_load) fail(at, "a persistent id, which this file kind does not use");
        stack_.push_back(hooks_.persistent_load(PickleValue::string(std::string(line()))));
        return;
      }
      default:
        fail(at, fmt::format("unsupported opcode 0x{:02x}", opcode));
    }
  }

  std::string_view bytes_;
  std::size_t position_;
  const PickleHooks& hooks_;
  const std::string& name_;
  std::vector<PickleValue> stack_;
  std::vector<std::size_t> marks_;
  std::unordered_map<std::uint64_t, PickleValue> memo_;
};

}  // namespace

PickleValue unpickle(std::string_view bytes, std::size_t& position, const PickleHooks& hooks, const std::string& name) {
  if (position > bytes.size()) throw UserError(name + ": truncated (no pickle where one was expected)");
  std::size_t end = position;
  PickleValue value = Unpickler(bytes, position, hooks, name).run(end);
  position = end;
  return value;
}

}  // namespace scorch::data
