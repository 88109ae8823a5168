#pragma once
// A reader for Python's pickle format, protocols 2 to 5, which torch.save
// writes (docs/file-formats.md, "torch.save files"). It builds plain values:
// None, bools, integers, floats, strings, bytes, lists, tuples, dicts and
// tensors. Globals and the objects built from them are kept by name, so the
// caller decides what a class means; nothing is imported or executed.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace scorch::data {

class PickleValue;

struct PickleGlobal {
  std::string module, name;
  std::string qualified() const { return module + "." + name; }
  bool is(std::string_view module_name, std::string_view global_name) const {
    return module == module_name && name == global_name;
  }
};

// An instance of a class the caller did not turn into a plain value: the
// global, the arguments it was called with and the state BUILD gave it.
struct PickleObject {
  PickleGlobal type;
  std::shared_ptr<PickleValue> arguments;
  std::shared_ptr<PickleValue> state;
};

struct PickleBytes {
  std::string data;
};

// Integers wider than 64 bits (LONG1/LONG4), as little-endian two's complement.
struct PickleBigInteger {
  std::string little_endian;
};

class PickleValue {
 public:
  using List = std::vector<PickleValue>;
  using Dict = std::vector<std::pair<PickleValue, PickleValue>>;  // in insertion order
  struct Tuple {
    std::shared_ptr<const List> items;
  };
  struct None {};

  PickleValue() : value_(None{}) {}
  static PickleValue none() { return PickleValue(); }
  static PickleValue boolean(bool value);
  static PickleValue integer(std::int64_t value);
  static PickleValue real(double value);
  static PickleValue string(std::string value);
  static PickleValue bytes(std::string value);
  static PickleValue big_integer(std::string little_endian);
  static PickleValue list(List items = {});
  static PickleValue tuple(List items);
  static PickleValue dict(Dict entries = {});
  static PickleValue global(PickleGlobal global);
  static PickleValue object(PickleObject object);
  static PickleValue tensor(at::Tensor tensor);

  bool is_none() const { return std::holds_alternative<None>(value_); }
  bool is_bool() const { return std::holds_alternative<bool>(value_); }
  bool is_integer() const { return std::holds_alternative<std::int64_t>(value_); }
  bool is_real() const { return std::holds_alternative<double>(value_); }
  bool is_string() const { return std::holds_alternative<std::string>(value_); }
  bool is_bytes() const { return std::holds_alternative<PickleBytes>(value_); }
  bool is_big_integer() const { return std::holds_alternative<PickleBigInteger>(value_); }
  bool is_list() const { return std::holds_alternative<std::shared_ptr<List>>(value_); }
  bool is_tuple() const { return std::holds_alternative<Tuple>(value_); }
  bool is_dict() const { return std::holds_alternative<std::shared_ptr<Dict>>(value_); }
  bool is_global() const { return std::holds_alternative<PickleGlobal>(value_); }
  bool is_object() const { return std::holds_alternative<std::shared_ptr<PickleObject>>(value_); }
  bool is_tensor() const { return std::holds_alternative<at::Tensor>(value_); }

  // The accessors throw UserError("<what>: expected a ..., found a ...").
  bool as_bool(const std::string& what) const;
  std::int64_t as_integer(const std::string& what) const;
  double as_real(const std::string& what) const;  // an integer is converted
  const std::string& as_string(const std::string& what) const;
  const std::string& as_bytes(const std::string& what) const;
  const std::string& as_big_integer(const std::string& what) const;
  const List& items(const std::string& what) const;  // a list or a tuple
  const Dict& entries(const std::string& what) const;
  const PickleGlobal& as_global(const std::string& what) const;
  const PickleObject& as_object(const std::string& what) const;
  const at::Tensor& as_tensor(const std::string& what) const;

  // The entry with this string key of a dict, or null.
  const PickleValue* find(std::string_view key) const;
  // Python's name for what this is ("dict", "torch.optim.adam.Adam" for an object).
  std::string type_name() const;

  // The unpickler mutates lists and dicts after building them (APPENDS,
  // SETITEMS, BUILD); they are shared with the memo, so these act in place.
  List& mutable_list(const std::string& what);
  Dict& mutable_dict(const std::string& what);
  PickleObject& mutable_object(const std::string& what);

 private:
  std::variant<None, bool, std::int64_t, double, std::string, PickleBytes, PickleBigInteger, std::shared_ptr<List>,
               Tuple, std::shared_ptr<Dict>, PickleGlobal, std::shared_ptr<PickleObject>, at::Tensor>
      value_;
};

struct PickleHooks {
  // BINPERSID/PERSID: the value for a persistent id (torch.save's storages).
  std::function<PickleValue(const PickleValue& id)> persistent_load;
  // REDUCE and NEWOBJ: callable(*arguments). Return an object to keep it by
  // name; the default keeps every call as a PickleObject.
  std::function<PickleValue(const PickleGlobal& callable, const PickleValue& arguments)> call;
};

// Runs one pickle from bytes[position] to its STOP and moves `position` past
// it. `name` starts every error message; bad or truncated input is a UserError.
PickleValue unpickle(std::string_view bytes, std::size_t& position, const PickleHooks& hooks, const std::string& name);

}  // namespace scorch::data
