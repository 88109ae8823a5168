#include "data/torch_save_file.h"

#include "common/user_error.h"
#include "data/pickle_writer.h"
#include "data/zip_reader.h"
#include "data/zip_writer.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string_view>

// Storage bytes are copied into tensors as they are: torch.save writes the
// host's byte order, and both formats record little-endian for x86 and ARM.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the torch.save reader assumes a little-endian host");

namespace scorch::data {
namespace {

struct StorageType {
  std::string_view name;
  at::ScalarType dtype;
};

// torch's typed-storage classes, as the persistent ids name them.
constexpr std::array<StorageType, 10> kStorageTypes = {{{"DoubleStorage", at::kDouble},
                                                        {"FloatStorage", at::kFloat},
                                                        {"HalfStorage", at::kHalf},
                                                        {"BFloat16Storage", at::kBFloat16},
                                                        {"LongStorage", at::kLong},
                                                        {"IntStorage", at::kInt},
                                                        {"ShortStorage", at::kShort},
                                                        {"CharStorage", at::kChar},
                                                        {"ByteStorage", at::kByte},
                                                        {"BoolStorage", at::kBool}}};

at::ScalarType storage_dtype(const PickleValue& type, const std::string& path) {
  const PickleGlobal& global = type.as_global(path + ": storage type");
  if (global.module == "torch") {
    for (const StorageType& entry : kStorageTypes) {
      if (global.name == entry.name) return entry.dtype;
    }
  }
  throw UserError(fmt::format("{}: unsupported storage type {}", path, global.qualified()));
}

// torch.save's legacy header: the magic number 0x1950a86a20f9469cfc6c and protocol version 1001.
constexpr std::string_view kLegacyMagic("\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19", 10);
constexpr std::int64_t kLegacyProtocolVersion = 1001;

std::string read_whole_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw UserError(path + ": cannot open");
  std::ostringstream content;
  content << file.rdbuf();
  return content.str();
}

bool is_tar(const std::string& bytes) { return bytes.size() >= 262 && bytes.compare(257, 5, "ustar") == 0; }

// numel elements of `dtype` in bytes, refused (before anything is allocated)
// when it overflows or exceeds `available`, the bytes the file can hold.
std::size_t storage_bytes(std::int64_t numel, at::ScalarType dtype, std::size_t available, const std::string& where) {
  std::size_t bytes = 0;
  if (numel < 0 || __builtin_mul_overflow(static_cast<std::size_t>(numel), c10::elementSize(dtype), &bytes) ||
      bytes > available) {
    throw UserError(fmt::format("{}: a storage of {} elements, more than the file holds (damaged)", where, numel));
  }
  return bytes;
}

// The storages of one file by key; tensors are views of them.
class StorageTable {
 public:
  explicit StorageTable(std::string path) : path_(std::move(path)) {}

  at::Tensor& add(const std::string& key, at::ScalarType dtype, std::int64_t numel) {
    const auto found = storages_.find(key);
    if (found != storages_.end()) {
      if (found->second.scalar_type() != dtype || found->second.numel() != numel) {
        throw UserError(fmt::format("{}: storage {} is described twice, differently", path_, key));
      }
      return found->second;
    }
    if (numel < 0) throw UserError(fmt::format("{}: storage {} has negative size", path_, key));
    return storages_.emplace(key, at::empty({numel}, at::TensorOptions().dtype(dtype))).first->second;
  }
  at::Tensor* find(const std::string& key) {
    const auto found = storages_.find(key);
    return found == storages_.end() ? nullptr : &found->second;
  }
  const std::map<std::string, at::Tensor>& all() const { return storages_; }

 private:
  std::string path_;
  std::map<std::string, at::Tensor> storages_;
};

void fill_storage(at::Tensor& storage, std::string_view bytes, const std::string& where) {
  const std::size_t expected = static_cast<std::size_t>(storage.numel()) * storage.element_size();
  if (bytes.size() != expected) {
    throw UserError(fmt::format("{}: {} bytes where the storage needs {} (truncated or damaged)", where, bytes.size(),
                                expected));
  }
  // Any byte but 0 or 1 in a bool tensor is undefined behaviour for every later operation.
  if (storage.scalar_type() == at::kBool &&
      std::any_of(bytes.begin(), bytes.end(), [](char c) { return c != 0 && c != 1; })) {
    throw UserError(where + ": a bool storage holds values other than 0 and 1 (damaged)");
  }
  if (expected > 0) std::memcpy(storage.data_ptr(), bytes.data(), expected);
}

std::vector<std::int64_t> integers(const PickleValue& value, const std::string& what) {
  std::vector<std::int64_t> out;
  for (const PickleValue& item : value.items(what)) out.push_back(item.as_integer(what));
  return out;
}

at::Tensor view_of(const PickleValue& storage_value, std::int64_t offset, const std::vector<std::int64_t>& sizes,
                   const std::vector<std::int64_t>& strides, const std::string& path) {
  const at::Tensor& storage = storage_value.as_tensor(path + ": tensor storage");
  if (sizes.size() != strides.size()) throw UserError(path + ": a tensor's size and stride differ in length");
  const auto past_storage = [&] {
    return UserError(fmt::format("{}: a tensor reaches past its storage of {} elements", path, storage.numel()));
  };
  std::int64_t last = offset;
  bool empty = false;
  for (std::size_t d = 0; d < sizes.size(); ++d) {
    if (sizes[d] < 0 || strides[d] < 0) throw UserError(path + ": a tensor with negative size or stride");
    if (sizes[d] == 0) empty = true;
    std::int64_t reach = 0;
    if (sizes[d] > 0 && (__builtin_mul_overflow(sizes[d] - 1, strides[d], &reach) ||
                         __builtin_add_overflow(last, reach, &last))) {
      throw past_storage();
    }
  }
  if (offset < 0 || (!empty && last >= storage.numel())) throw past_storage();
  // as_strided's offset counts from the start of the underlying storage, where
  // a legacy storage view (a narrowed root) begins at its own offset.
  return storage.as_strided(sizes, strides, storage.storage_offset() + offset);
}

// The bytes of text whose code points all lie below 256 (UTF-8 in the pickle, latin-1 meant).
std::string latin1_bytes(const std::string& utf8, const std::string& what) {
  std::string bytes;
  for (std::size_t i = 0; i < utf8.size(); ++i) {
    const auto c = static_cast<unsigned char>(utf8[i]);
    if (c < 0x80) {
      bytes.push_back(static_cast<char>(c));
    } else if ((c == 0xc2 || c == 0xc3) && i + 1 < utf8.size()) {
      bytes.push_back(static_cast<char>(((c & 0x03) << 6) | (static_cast<unsigned char>(utf8[++i]) & 0x3f)));
    } else {
      throw UserError(what + ": bytes with a character past latin-1");
    }
  }
  return bytes;
}

// What torch's own classes become; every other call is kept as an object.
PickleValue torch_call(const PickleGlobal& callable, const PickleValue& arguments, const std::string& path) {
  const PickleValue::List& args = arguments.items(path);
  const std::string what = path + ": " + callable.qualified();
  if (callable.is("collections", "OrderedDict")) {
    // OrderedDict() is filled by SETITEMS after the call; OrderedDict(pairs), which our writer uses, at it.
    if (args.size() > 1) throw UserError(what + " with more than one argument");
    PickleValue::Dict entries;
    if (!args.empty()) {
      for (const PickleValue& pair : args[0].items(what)) {
        const PickleValue::List& kv = pair.items(what + ": an item");
        if (kv.size() != 2) throw UserError(what + ": an item that is not a (key, value) pair");
        entries.emplace_back(kv[0], kv[1]);
      }
    }
    return PickleValue::dict(std::move(entries));
  }
  if (callable.is("torch._utils", "_rebuild_tensor_v2") || callable.is("torch._utils", "_rebuild_tensor")) {
    if (args.size() < 4) throw UserError(what + ": too few arguments");
    return PickleValue::tensor(
        view_of(args[0], args[1].as_integer(what), integers(args[2], what), integers(args[3], what), path));
  }
  if (callable.is("torch._utils", "_rebuild_parameter") ||
      callable.is("torch._utils", "_rebuild_parameter_with_state")) {
    if (args.empty() || !args[0].is_tensor()) throw UserError(what + ": no tensor");
    return args[0];
  }
  if (callable.is("torch", "Size")) {
    if (args.size() != 1) throw UserError(what + ": expected one tuple");
    return args[0];
  }
  if (callable.is("_codecs", "encode")) {  // protocol 2's spelling of bytes
    if (args.size() != 2) throw UserError(what + ": expected (text, encoding)");
    return PickleValue::bytes(latin1_bytes(args[0].as_string(what), what));
  }
  return PickleValue::object({callable, std::make_shared<PickleValue>(arguments), nullptr});
}

// ('storage', storage type, key, location, element count[, view]): both formats' persistent ids.
struct StorageId {
  std::string key;
  at::ScalarType dtype;
  std::int64_t numel;
  const PickleValue::List* fields;
};

StorageId parse_storage_id(const PickleValue& id_value, const std::string& path) {
  const PickleValue::List& id = id_value.items(path + ": persistent id");
  if (id.size() < 5 || !id[0].is_string() || id[0].as_string(path) != "storage") {
    throw UserError(path + ": a persistent id that is not a storage");
  }
  return {id[2].as_string(path + ": storage key"), storage_dtype(id[1], path),
          id[4].as_integer(path + ": storage size"), &id};
}

PickleHooks torch_hooks(const std::string& path, std::function<PickleValue(const StorageId&)> load_storage) {
  PickleHooks hooks;
  hooks.persistent_load = [path, load = std::move(load_storage)](const PickleValue& id) {
    return load(parse_storage_id(id, path));
  };
  hooks.call = [path](const PickleGlobal& callable, const PickleValue& arguments) {
    return torch_call(callable, arguments, path);
  };
  return hooks;
}

PickleValue read_zip(const std::string& path) {
  const ZipReader archive(path, "truncated, or not a torch.save file");
  std::string prefix;
  bool torchscript = false;
  for (const std::string& entry : archive.entry_names()) {
    const std::size_t slash = entry.find('/');
    if (slash == std::string::npos) continue;
    if (entry.compare(slash, std::string::npos, "/data.pkl") == 0) prefix = entry.substr(0, slash + 1);
    if (entry.compare(slash, 6, "/code/") == 0) torchscript = true;
  }
  // TorchScript archives hold a data.pkl too, but also their code.
  if (torchscript) throw UserError(path + ": a TorchScript module, not a torch.save file");
  if (prefix.empty()) throw UserError(path + ": a zip archive without data.pkl, not a torch.save file");
  if (archive.find(prefix + "byteorder")) {
    const std::string order = archive.read(prefix + "byteorder");
    if (order != "little") throw UserError(path + ": saved on a " + order + "-endian machine");
  }
  StorageTable storages(path);
  const PickleHooks hooks = torch_hooks(path, [&](const StorageId& id) {
    if (at::Tensor* known = storages.find(id.key)) return PickleValue::tensor(*known);
    const std::string where = path + ": storage " + id.key;
    const std::string bytes = archive.read(prefix + "data/" + id.key);
    storage_bytes(id.numel, id.dtype, bytes.size(), where);
    at::Tensor& storage = storages.add(id.key, id.dtype, id.numel);
    fill_storage(storage, bytes, where);
    return PickleValue::tensor(storage);
  });
  const std::string pickle = archive.read(prefix + "data.pkl");
  std::size_t position = 0;
  PickleValue root = unpickle(pickle, position, hooks, path + ": data.pkl");
  return root;
}

PickleValue read_legacy(const std::string& path, const std::string& bytes) {
  std::size_t position = 0;
  const PickleHooks plain;
  bool has_magic = false;
  try {
    const PickleValue magic = unpickle(bytes, position, plain, path);
    has_magic = magic.is_big_integer() && magic.as_big_integer(path) == kLegacyMagic;
  } catch (const UserError&) {
  }
  if (!has_magic) {
    throw UserError(path + ": not a torch.save file (neither a zip archive nor the legacy format's magic number)");
  }
  const std::int64_t version = unpickle(bytes, position, plain, path).as_integer(path + ": protocol version");
  if (version != kLegacyProtocolVersion) {
    throw UserError(fmt::format("{}: legacy torch.save protocol {}, expected {}", path, version, kLegacyProtocolVersion));
  }
  const PickleValue system = unpickle(bytes, position, plain, path);
  const PickleValue* little_endian = system.find("little_endian");
  if (!little_endian || !little_endian->as_bool(path + ": little_endian")) {
    throw UserError(path + ": saved on a big-endian machine");
  }

  StorageTable storages(path);
  const PickleHooks hooks = torch_hooks(path, [&](const StorageId& id) {
    storage_bytes(id.numel, id.dtype, bytes.size(), path + ": storage " + id.key);
    const at::Tensor& root = storages.add(id.key, id.dtype, id.numel);
    // Storage views (PyTorch < 0.4) are slices of their root storage.
    const PickleValue::List& fields = *id.fields;
    if (fields.size() > 5 && !fields[5].is_none()) {
      const PickleValue::List& view = fields[5].items(path + ": storage view");
      if (view.size() != 3) throw UserError(path + ": a storage view of the wrong form");
      const std::int64_t offset = view[1].as_integer(path), size = view[2].as_integer(path);
      if (offset < 0 || size < 0 || offset > root.numel() || size > root.numel() - offset) {
        throw UserError(path + ": a storage view past its root");
      }
      return PickleValue::tensor(root.narrow(0, offset, size));
    }
    return PickleValue::tensor(root);
  });
  PickleValue root = unpickle(bytes, position, hooks, path);

  // Then the list of storage keys, and each storage as an int64 element count and its bytes.
  const PickleValue keys = unpickle(bytes, position, plain, path + ": storage keys");
  std::set<std::string> filled;
  for (const PickleValue& key_value : keys.items(path + ": storage keys")) {
    const std::string key = key_value.as_string(path + ": storage key");
    at::Tensor* storage = storages.find(key);
    if (!storage) throw UserError(fmt::format("{}: storage {} is stored but never used", path, key));
    if (bytes.size() - position < 8) throw UserError(path + ": truncated (storage " + key + " is missing)");
    std::int64_t count = 0;
    std::memcpy(&count, bytes.data() + position, 8);
    position += 8;
    if (count != storage->numel()) {
      throw UserError(fmt::format("{}: storage {} holds {} elements where {} were described", path, key, count,
                                  storage->numel()));
    }
    const std::size_t size = static_cast<std::size_t>(count) * storage->element_size();
    if (bytes.size() - position < size) throw UserError(path + ": truncated (in storage " + key + ")");
    fill_storage(*storage, std::string_view(bytes).substr(position, size), path + ": storage " + key);
    position += size;
    if (!filled.insert(key).second) throw UserError(fmt::format("{}: storage {} is stored twice", path, key));
  }
  if (filled.size() != storages.all().size()) throw UserError(path + ": truncated (storages are missing)");
  return root;
}

}  // namespace

TorchSaveFile read_torch_save(const std::string& path) {
  std::ifstream probe(path, std::ios::binary);
  if (!probe) throw UserError(path + ": no such file");
  char signature[4] = {};
  probe.read(signature, sizeof signature);
  probe.close();
  if (std::string_view(signature, 4) == std::string_view("PK\x03\x04", 4)) {
    return {read_zip(path), TorchSaveFormat::zip};
  }
  const std::string bytes = read_whole_file(path);
  if (is_tar(bytes)) throw UserError(path + ": the tar format of PyTorch before 0.4 is not supported; re-save it");
  return {read_legacy(path, bytes), TorchSaveFormat::legacy};
}

void write_torch_save(const std::string& path, const PickleValue& root) {
  constexpr std::string_view kArchive = "archive/";
  std::vector<at::Tensor> storages;
  // torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks), the
  // storage a persistent id ('storage', torch.<Type>Storage, key, 'cpu', numel), as torch.save writes.
  auto write_tensor = [&](PickleWriter& w, const at::Tensor& tensor) {
    const at::Tensor data = tensor.detach().cpu().contiguous();
    const auto type = std::find_if(kStorageTypes.begin(), kStorageTypes.end(),
                                   [&](const StorageType& t) { return t.dtype == data.scalar_type(); });
    if (type == kStorageTypes.end()) {
      throw UserError(fmt::format("{}: no torch storage type for {} tensors", path, c10::toString(data.scalar_type())));
    }
    const std::string key = std::to_string(storages.size());
    storages.push_back(data);
    PickleValue::List sizes, strides;
    for (const std::int64_t size : data.sizes()) sizes.push_back(PickleValue::integer(size));
    for (const std::int64_t stride : data.strides()) strides.push_back(PickleValue::integer(stride));
    w.global("torch._utils", "_rebuild_tensor_v2");
    w.mark();
    w.mark();
    w.write(PickleValue::string("storage"));
    w.global("torch", type->name);
    w.write(PickleValue::string(key));
    w.write(PickleValue::string("cpu"));
    w.write(PickleValue::integer(data.numel()));
    w.tuple_from_mark();
    w.persistent_id();
    w.write(PickleValue::integer(0));
    w.write(PickleValue::tuple(sizes));
    w.write(PickleValue::tuple(strides));
    w.write(PickleValue::boolean(false));
    w.write(ordered_dict({}));  // backward hooks
    w.tuple_from_mark();
    w.reduce();
  };
  PickleWriter writer(write_tensor);
  writer.write(root);
  const std::string pickle = writer.finish();

  // PyTorch's record order: the pickle, the byte order, the storages, the format version (3).
  StoredZipWriter zip(path);
  zip.add(std::string(kArchive) + "data.pkl", pickle);
  zip.add(std::string(kArchive) + "byteorder", "little");
  for (std::size_t i = 0; i < storages.size(); ++i) {
    const at::Tensor& data = storages[i];
    zip.add(std::string(kArchive) + "data/" + std::to_string(i),
            std::string_view(static_cast<const char*>(data.data_ptr()), data.numel() * data.element_size()));
  }
  zip.add(std::string(kArchive) + "version", "3\n");
  zip.finish();
}

PickleValue ordered_dict(PickleValue::Dict entries) {
  PickleValue::List pairs;
  pairs.reserve(entries.size());
  for (auto& [key, value] : entries) pairs.push_back(PickleValue::tuple({std::move(key), std::move(value)}));
  return PickleValue::object({{"collections", "OrderedDict"},
                              std::make_shared<PickleValue>(PickleValue::tuple({PickleValue::list(std::move(pairs))})),
                              nullptr});
}

std::vector<std::pair<std::string, at::Tensor>> state_dict_tensors(const PickleValue& value, const std::string& what) {
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (const auto& [key, tensor] : value.entries(what)) {
    const std::string& name = key.as_string(what + ": key");
    out.emplace_back(name, tensor.as_tensor(what + ": " + name));
  }
  return out;
}

}  // namespace scorch::data
