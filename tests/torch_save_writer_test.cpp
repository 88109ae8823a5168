// The torch.save writer (data/pickle_writer, data/zip_writer,
// write_torch_save) read back by our reader: every value kind survives, each
// storage starts on a 64-byte boundary as PyTorch's writer aligns it, and
// equal content gives equal bytes. That PyTorch itself loads the files is
// checked by scripts/crosscheck/reference_score_sde.py verify-export.
#include "common/user_error.h"
#include "data/pickle_writer.h"
#include "data/python_pickle.h"
#include "data/torch_save_file.h"
#include "data/zip_reader.h"
#include "data_test_support.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>

namespace scorch::data {
namespace {

using V = PickleValue;

std::string file_bytes(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

PickleValue sample_root() {
  const at::Tensor transposed = at::arange(12, at::kDouble).reshape({3, 4}).t();  // not contiguous
  PickleValue::Dict state = {{V::string("a.weight"), V::tensor(at::arange(6, at::kFloat).reshape({2, 3}))},
                             {V::string("a.bias"), V::tensor(at::tensor({-1.5f, 2.25f}))},
                             {V::string("t"), V::tensor(transposed)},
                             {V::string("n"), V::tensor(at::tensor({std::int64_t{-7}, std::int64_t{1} << 40}))},
                             {V::string("flags"), V::tensor(at::tensor({1, 0, 1}, at::kInt).to(at::kBool))},
                             {V::string("scalar"), V::tensor(at::scalar_tensor(3.5, at::kHalf))}};
  return V::dict(
      {{V::string("model"), ordered_dict(std::move(state))},
       {V::string("numbers"),
        V::list({V::integer(0), V::integer(255), V::integer(256), V::integer(65535), V::integer(65536),
                 V::integer(-1), V::integer(std::numeric_limits<std::int32_t>::min()),
                 V::integer(std::int64_t{1} << 31), V::integer(std::numeric_limits<std::int64_t>::min()),
                 V::integer(std::numeric_limits<std::int64_t>::max()), V::real(-0.1), V::real(1e300)})},
       {V::string("tuples"), V::list({V::tuple({}), V::tuple({V::none()}), V::tuple({V::boolean(true), V::boolean(false)}),
                                      V::tuple({V::integer(1), V::integer(2), V::integer(3), V::integer(4)})})},
       {V::string("text"), V::string("σ_max ≥ 50 — ünïcode")},
       {V::string("bytes"), V::bytes(std::string("\x00\x7f\x80\xff", 4))},
       {V::integer(3), V::dict({})}});
}

TEST(TorchSaveWriter, EveryValueKindReadsBack) {
  const std::string path = testing::temp_path("writer_round_trip.pth");
  write_torch_save(path, sample_root());
  const TorchSaveFile file = read_torch_save(path);
  EXPECT_EQ(file.format, TorchSaveFormat::zip);
  const PickleValue& root = file.root;
  const auto tensors = state_dict_tensors(*root.find("model"), "model");
  ASSERT_EQ(tensors.size(), 6u);
  EXPECT_EQ(tensors[0].first, "a.weight");  // order kept
  EXPECT_TRUE(at::equal(tensors[0].second, at::arange(6, at::kFloat).reshape({2, 3})));
  EXPECT_TRUE(at::equal(tensors[1].second, at::tensor({-1.5f, 2.25f})));
  EXPECT_TRUE(at::equal(tensors[2].second, at::arange(12, at::kDouble).reshape({3, 4}).t()));
  EXPECT_EQ(tensors[3].second.scalar_type(), at::kLong);
  EXPECT_EQ(tensors[3].second[1].item<std::int64_t>(), std::int64_t{1} << 40);
  EXPECT_EQ(tensors[4].second.scalar_type(), at::kBool);
  EXPECT_EQ(tensors[5].second.dim(), 0);
  EXPECT_EQ(tensors[5].second.item<double>(), 3.5);

  const auto& numbers = root.find("numbers")->items("numbers");
  const std::vector<std::int64_t> integers = {0, 255, 256, 65535, 65536, -1, std::numeric_limits<std::int32_t>::min(),
                                              std::int64_t{1} << 31, std::numeric_limits<std::int64_t>::min(),
                                              std::numeric_limits<std::int64_t>::max()};
  for (std::size_t i = 0; i < integers.size(); ++i) EXPECT_EQ(numbers[i].as_integer("n"), integers[i]) << i;
  EXPECT_EQ(numbers[10].as_real("r"), -0.1);
  EXPECT_EQ(numbers[11].as_real("r"), 1e300);
  const auto& tuples = root.find("tuples")->items("tuples");
  for (std::size_t i = 0; i < tuples.size(); ++i) {
    EXPECT_TRUE(tuples[i].is_tuple());
    EXPECT_EQ(tuples[i].items("t").size(), i == 3 ? 4u : i);
  }
  EXPECT_TRUE(tuples[1].items("t")[0].is_none());
  EXPECT_FALSE(tuples[2].items("t")[1].as_bool("b"));
  EXPECT_EQ(root.find("text")->as_string("text"), "σ_max ≥ 50 — ünïcode");
  EXPECT_EQ(root.find("bytes")->as_bytes("bytes"), std::string("\x00\x7f\x80\xff", 4));
  EXPECT_EQ(root.entries("root").back().first.as_integer("key"), 3);
}

// PyTorch's writer pads each local header so that storages can be memory-mapped in place.
TEST(TorchSaveWriter, StoragesStartOn64ByteBoundariesAndBytesAreDeterministic) {
  const std::string path = testing::temp_path("writer_alignment.pth");
  write_torch_save(path, sample_root());
  const std::string bytes = file_bytes(path);
  int storages = 0;
  for (std::size_t at = bytes.find("PK\x03\x04"); at != std::string::npos; at = bytes.find("PK\x03\x04", at + 4)) {
    std::uint16_t name_length = 0, extra_length = 0;
    std::memcpy(&name_length, bytes.data() + at + 26, 2);
    std::memcpy(&extra_length, bytes.data() + at + 28, 2);
    const std::string name = bytes.substr(at + 30, name_length);
    if (name.rfind("archive/data/", 0) != 0) continue;
    ++storages;
    EXPECT_EQ((at + 30 + name_length + extra_length) % 64, 0u) << name;
  }
  EXPECT_EQ(storages, 6);
  const ZipReader zip(path, "zip");
  EXPECT_EQ(zip.read("archive/version"), "3\n");
  EXPECT_EQ(zip.read("archive/byteorder"), "little");
  const std::string again = testing::temp_path("writer_alignment_again.pth");
  write_torch_save(again, sample_root());
  EXPECT_EQ(file_bytes(again), bytes);
}

TEST(TorchSaveWriter, TensorsNeedTheTorchHookAndObjectsATuple) {
  PickleWriter plain;
  EXPECT_THROW(plain.write(V::tensor(at::ones({1}))), UserError);
  PickleWriter writer;
  EXPECT_THROW(writer.write(V::object({{"m", "f"}, std::make_shared<V>(V::list()), nullptr})), UserError);
  // A failed write leaves nothing behind, not even its temporary.
  const std::string directory = testing::temp_path("writer_no_such_dir");
  testing::remove_tree(directory);
  EXPECT_THROW(write_torch_save(directory + "/x.pth", sample_root()), UserError);
}

// Pickles the reader reads as Python writes them: no memo, OrderedDict(pairs).
TEST(TorchSaveWriter, PlainPickleRoundTrip) {
  PickleWriter writer;
  writer.write(ordered_dict({{V::string("k"), V::list({V::integer(-300), V::real(2.5)})}}));
  const std::string pickle = writer.finish();
  std::size_t position = 0;
  PickleHooks hooks;
  hooks.call = [](const PickleGlobal& callable, const PickleValue& arguments) {
    EXPECT_TRUE(callable.is("collections", "OrderedDict"));
    return V::object({callable, std::make_shared<V>(arguments), nullptr});
  };
  const PickleValue value = unpickle(pickle, position, hooks, "pickle");
  EXPECT_EQ(position, pickle.size());
  const auto& arguments = value.as_object("o").arguments->items("args");
  ASSERT_EQ(arguments.size(), 1u);
  const auto& pair = arguments[0].items("pairs")[0].items("pair");
  EXPECT_EQ(pair[0].as_string("k"), "k");
  EXPECT_EQ(pair[1].items("v")[0].as_integer("i"), -300);
}

}  // namespace
}  // namespace scorch::data
