#pragma once
// A writer of Python pickles at protocol 2, the protocol torch.save uses, for
// the plain values python_pickle.h reads back (docs/file-formats.md,
// "torch.save files"). Nothing is memoised: shared values are written again,
// which Python's unpickler accepts. Tensors have no pickle form of their own;
// a caller's hook writes them with the opcodes below (torch.save's storages).
#include "data/python_pickle.h"

#include <ATen/core/Tensor.h>

#include <functional>
#include <string>
#include <string_view>

namespace scorch::data {

class PickleWriter {
 public:
  using TensorHook = std::function<void(PickleWriter& writer, const at::Tensor& tensor)>;
  explicit PickleWriter(TensorHook tensor_hook = {});

  // Any value; an object is written as its global called with its arguments
  // (REDUCE), then given its state (BUILD) if it has one. A tensor without a
  // hook, or an object whose arguments are not a tuple, is a UserError.
  void write(const PickleValue& value);

  // The opcodes a tensor hook needs.
  void global(std::string_view module, std::string_view name);
  void mark();
  void tuple_from_mark();
  void reduce();
  // BINPERSID: the value just written becomes a persistent id.
  void persistent_id();

  // STOP; the whole pickle.
  std::string finish();

 private:
  void integer(std::int64_t value);
  void text(std::string_view value);
  std::string out_;
  TensorHook tensor_hook_;
};

}  // namespace scorch::data
