// The torch.save reader against files PyTorch wrote
// (tests/fixtures/torch_save, made by `scripts/crosscheck/reference_fid.py
// torch-save` with Debian's python3-torch 1.13, whose contents are spelled
// out below): the legacy format, the zip format at pickle protocols 2 and 4,
// and damaged copies of each. Also SHA-256 against the FIPS 180-4 examples.
#include "common/user_error.h"
#include "data/python_pickle.h"
#include "data/sha256.h"
#include "data/torch_save_file.h"
#include "data_test_support.h"
#include "evaluation/features/pytorch_fid_extractor.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <iterator>
#include <string>

namespace scorch::data {
namespace {

std::string fixture(const std::string& name) {
  return std::string(SCORCH_SOURCE_DIR) + "/tests/fixtures/torch_save/" + name;
}

std::string contents_of(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

std::string write_file(const std::string& name, const std::string& bytes) {
  const std::string path = testing::temp_path(name);
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

using testing::user_error_of;

const at::Tensor& tensor_at(const PickleValue& dict, const std::string& key) {
  const PickleValue* value = dict.find(key);
  if (!value) throw std::runtime_error("no key " + key);
  return value->as_tensor(key);
}

void expect_small_contents(const TorchSaveFile& file, const std::string& which) {
  SCOPED_TRACE(which);
  const PickleValue& root = file.root;
  ASSERT_TRUE(root.is_dict());
  const PickleValue& model = *root.find("model");
  const auto entries = state_dict_tensors(model, "model");
  ASSERT_EQ(entries.size(), 8u);
  EXPECT_EQ(entries[0].first, "w");  // file order is kept
  EXPECT_EQ(entries[7].first, "bytes");

  const at::Tensor expected_w = at::arange(12, at::kFloat).reshape({3, 4});
  const at::Tensor& w = tensor_at(model, "w");
  EXPECT_TRUE(at::equal(w, expected_w));
  const at::Tensor& w_t = tensor_at(model, "w_t");
  EXPECT_TRUE(at::equal(w_t, expected_w.t()));
  EXPECT_EQ(w_t.strides(), (std::vector<std::int64_t>{1, 4}));
  const at::Tensor& row = tensor_at(model, "row");
  EXPECT_TRUE(at::equal(row, expected_w[1]));
  // Views keep sharing their storage, as in PyTorch.
  EXPECT_TRUE(w.storage().is_alias_of(w_t.storage()));
  EXPECT_TRUE(w.storage().is_alias_of(row.storage()));
  EXPECT_EQ(row.storage_offset(), 4);

  const at::Tensor& p = tensor_at(model, "p");  // an nn.Parameter
  EXPECT_EQ(p.scalar_type(), at::kDouble);
  EXPECT_TRUE(at::allclose(p, at::linspace(-1.0, 1.0, 5, at::kDouble)));
  const at::Tensor& half = tensor_at(model, "half");
  EXPECT_EQ(half.scalar_type(), at::kHalf);
  EXPECT_EQ(half[1].item<double>(), -2.0);
  const at::Tensor& steps = tensor_at(model, "steps");
  EXPECT_EQ(steps.dim(), 0);
  EXPECT_EQ(steps.item<std::int64_t>(), 7);
  EXPECT_TRUE(at::equal(tensor_at(model, "mask"), at::tensor({1, 0, 1}).to(at::kBool)));
  EXPECT_TRUE(at::equal(tensor_at(model, "bytes"), at::arange(4, at::kByte)));

  const PickleValue& optimizer = *root.find("optimizer");
  const PickleValue::Dict& state = optimizer.find("state")->entries("state");
  ASSERT_EQ(state.size(), 1u);
  EXPECT_EQ(state[0].first.as_integer("key"), 0);  // integer keys
  EXPECT_EQ(state[0].second.find("step")->as_integer("step"), 3);
  EXPECT_TRUE(at::equal(tensor_at(state[0].second, "exp_avg"), at::full({2}, 0.25, at::kFloat)));
  const PickleValue& group = optimizer.find("param_groups")->items("groups").at(0);
  EXPECT_DOUBLE_EQ(group.find("lr")->as_real("lr"), 2e-4);
  const PickleValue::List& betas = group.find("betas")->items("betas");
  ASSERT_EQ(betas.size(), 2u);
  EXPECT_DOUBLE_EQ(betas[1].as_real("beta2"), 0.999);

  const PickleValue& ema = *root.find("ema");
  EXPECT_DOUBLE_EQ(ema.find("decay")->as_real("decay"), 0.9999);
  const PickleValue::List& shadow = ema.find("shadow_params")->items("shadow");
  ASSERT_EQ(shadow.size(), 2u);
  EXPECT_TRUE(at::equal(shadow[0].as_tensor("shadow"), expected_w * 2));
  EXPECT_EQ(shadow[1].as_tensor("shadow").numel(), 0);

  EXPECT_EQ(root.find("step")->as_integer("step"), 123456789012);
  EXPECT_EQ(root.find("negative")->as_integer("negative"), -3);
  // 2**70 + 5, little-endian.
  EXPECT_EQ(root.find("big")->as_big_integer("big"), std::string("\x05\0\0\0\0\0\0\0\x40", 9));
  EXPECT_EQ(root.find("name")->as_string("name"), "scorch");
  EXPECT_TRUE(root.find("flag")->as_bool("flag"));
  EXPECT_TRUE(root.find("nothing")->is_none());
}

TEST(TorchSaveFile, ReadsTheLegacyFormat) {
  const TorchSaveFile file = read_torch_save(fixture("small_legacy.pth"));
  EXPECT_EQ(file.format, TorchSaveFormat::legacy);
  expect_small_contents(file, "legacy");
}

TEST(TorchSaveFile, ReadsTheZipFormatAtPickleProtocolsTwoAndFour) {
  for (const char* name : {"small_zip.pth", "small_zip_protocol4.pth"}) {
    const TorchSaveFile file = read_torch_save(fixture(name));
    EXPECT_EQ(file.format, TorchSaveFormat::zip);
    expect_small_contents(file, name);
  }
}

TEST(TorchSaveFile, TruncatedOrForeignFilesAreOneLineErrors) {
  for (const char* name : {"small_legacy.pth", "small_zip.pth"}) {
    const std::string bytes = contents_of(fixture(name));
    for (const std::size_t keep : {std::size_t{0}, std::size_t{5}, bytes.size() / 3, bytes.size() / 2,
                                   bytes.size() - 9, bytes.size() - 1}) {
      const std::string path = write_file("truncated.pth", bytes.substr(0, keep));
      const std::string message = user_error_of([&] { read_torch_save(path); });
      EXPECT_NE(message.find(path), std::string::npos) << message;
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
  }
  EXPECT_NE(user_error_of([] { read_torch_save(testing::temp_path("absent.pth")); }).find("no such file"),
            std::string::npos);
  const std::string text = write_file("text.pth", "just some text\n");
  EXPECT_NE(user_error_of([&] { read_torch_save(text); }).find("not a torch.save file"), std::string::npos);
  // A damaged byte inside a zip entry fails its CRC.
  std::string damaged = contents_of(fixture("small_zip.pth"));
  const std::size_t data = damaged.find("data.pkl");
  ASSERT_NE(data, std::string::npos);
  damaged[data + 60] = static_cast<char>(damaged[data + 60] ^ 0x5a);
  EXPECT_FALSE(user_error_of([&] { read_torch_save(write_file("damaged.pth", damaged)); }).empty());
}

TEST(TorchSaveFile, StateDictsMustHoldTensors) {
  const TorchSaveFile file = read_torch_save(fixture("small_zip.pth"));
  const std::string message = user_error_of([&] { state_dict_tensors(file.root, "the file"); });
  EXPECT_NE(message.find("the file: model: expected a tensor, found dict"), std::string::npos) << message;
}

TEST(Sha256, MatchesTheStandardExamples) {
  const auto digest = [](const std::string& text) {
    Sha256 hash;
    hash.update(text.data(), text.size());
    return hash.hex();
  };
  EXPECT_EQ(digest(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(digest("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  // A million 'a's, fed in uneven pieces across block boundaries.
  Sha256 hash;
  const std::string piece(997, 'a');
  std::size_t fed = 0;
  while (fed + piece.size() <= 1000000) {
    hash.update(piece.data(), piece.size());
    fed += piece.size();
  }
  hash.update(piece.data(), 1000000 - fed);
  EXPECT_EQ(hash.hex(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(PytorchFidWeights, FileNamesCarryTheirHashPrefix) {
  using evaluation::hash_prefix_in_file_name;
  EXPECT_EQ(hash_prefix_in_file_name("/x/pt_inception-2015-12-05-6726825d.pth"), "6726825d");
  EXPECT_EQ(hash_prefix_in_file_name("weights.pth"), "");
  EXPECT_EQ(hash_prefix_in_file_name("my-weights.pth"), "");
  EXPECT_EQ(hash_prefix_in_file_name("pt_inception-2015-12-05.pth"), "");  // a date, not a hash
  EXPECT_EQ(hash_prefix_in_file_name("/dir-abc/weights"), "");
}

TEST(PytorchFidWeights, WrongFilesAreOneLineErrors) {
  // The hash in the name does not match the contents.
  const std::string renamed = write_file("pt_inception-2015-12-05-6726825d.pth", contents_of(fixture("small_zip.pth")));
  std::string message = user_error_of([&] { evaluation::PytorchFidExtractor(renamed, at::kCPU); });
  EXPECT_NE(message.find("does not begin with the 6726825d"), std::string::npos) << message;
  // A torch.save file of something else.
  const std::string other = write_file("other-weights.pth", contents_of(fixture("small_legacy.pth")));
  message = user_error_of([&] { evaluation::PytorchFidExtractor(other, at::kCPU); });
  EXPECT_NE(message.find("expected a tensor"), std::string::npos) << message;
  message = user_error_of([&] { evaluation::PytorchFidExtractor(testing::temp_path("none.pth"), at::kCPU); });
  EXPECT_NE(message.find("no such weights file"), std::string::npos) << message;
}

}  // namespace
}  // namespace scorch::data
