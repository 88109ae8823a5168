// The numpy .npz reader against archives numpy wrote (tests/fixtures/npz, made
// by tests/fixtures/make_npz_fixtures.py, whose arrays are hard-coded below)
// and against hand-built .npy payloads for the damaged cases.
#include "common/user_error.h"
#include "data/npz_archive.h"
#include "data_test_support.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <string>
#include <vector>

namespace scorch::data {
namespace {

std::string fixture(const std::string& name) { return std::string(SCORCH_SOURCE_DIR) + "/tests/fixtures/npz/" + name; }

using testing::user_error_of;

// A version 1 .npy file: magic, version, little-endian header length, header, data.
std::string npy_bytes(const std::string& header, const std::string& data) {
  const std::string text = header + "\n";
  std::string bytes("\x93NUMPY\x01\x00", 8);
  bytes += static_cast<char>(text.size() & 0xff);
  bytes += static_cast<char>(text.size() >> 8);
  return bytes + text + data;
}

std::string doubles(const std::vector<double>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(double));
}

TEST(NpzArchive, ReadsStatisticsFromSavezAndSavezCompressed) {
  const at::Tensor mu = at::tensor({0.5, -1.25, 2.0, 3.75}, at::kDouble);
  const at::Tensor sigma = at::tensor({2.1, 0.7, 0.3, 2.0,  //
                                       0.7, 1.4, 1.3, 0.4,  //
                                       0.3, 1.3, 2.7, 1.1,  //
                                       2.0, 0.4, 1.1, 4.1},
                                      at::kDouble)
                               .view({4, 4});
  for (const char* name : {"stats.npz", "stats_compressed.npz"}) {
    const std::map<std::string, at::Tensor> arrays = read_npz(fixture(name));
    ASSERT_EQ(arrays.size(), 3u) << name;
    ASSERT_TRUE(arrays.count("mu") && arrays.count("sigma") && arrays.count("n")) << name;
    EXPECT_EQ(arrays.at("mu").scalar_type(), at::kDouble) << name;
    EXPECT_TRUE(at::equal(arrays.at("mu"), mu)) << name;
    EXPECT_EQ(arrays.at("sigma").scalar_type(), at::kDouble) << name;
    EXPECT_TRUE(at::equal(arrays.at("sigma"), sigma)) << name << "\n" << arrays.at("sigma");
    const at::Tensor& n = arrays.at("n");
    EXPECT_EQ(n.scalar_type(), at::kLong) << name;
    EXPECT_EQ(n.dim(), 0) << name;
    EXPECT_EQ(n.item<std::int64_t>(), 1000) << name;
  }
}

TEST(NpzArchive, ReadsFortranOrderAndSmallerDtypes) {
  const std::map<std::string, at::Tensor> arrays = read_npz(fixture("mixed.npz"));
  ASSERT_EQ(arrays.size(), 4u);
  const at::Tensor& fortran = arrays.at("fortran");
  EXPECT_EQ(fortran.scalar_type(), at::kFloat);
  EXPECT_TRUE(fortran.is_contiguous());
  EXPECT_TRUE(at::equal(fortran, at::tensor({0.0f, 1.0f, 2.0f, 3.0f, 4.0f, 5.0f}).view({2, 3}))) << fortran;
  EXPECT_EQ(arrays.at("ints").scalar_type(), at::kInt);
  EXPECT_TRUE(at::equal(arrays.at("ints"), at::tensor({0, 1, 2, 3, 4}, at::kInt)));
  EXPECT_EQ(arrays.at("bytes").scalar_type(), at::kByte);
  EXPECT_TRUE(at::equal(arrays.at("bytes"), at::tensor({0, 1, 2}, at::kByte)));
  const at::Tensor& flags = arrays.at("flags");
  EXPECT_EQ(flags.scalar_type(), at::kBool);
  ASSERT_EQ(flags.numel(), 2);
  EXPECT_TRUE(flags[0].item<bool>());
  EXPECT_FALSE(flags[1].item<bool>());
}

TEST(NpzArchive, RefusesOtherFilesNamingThem) {
  const std::string not_zip = user_error_of([] { read_npz(fixture("not_a_zip.npz")); });
  EXPECT_NE(not_zip.find("not_a_zip.npz"), std::string::npos) << not_zip;
  EXPECT_NE(not_zip.find("not a zip archive"), std::string::npos) << not_zip;

  const std::string big_endian = user_error_of([] { read_npz(fixture("big_endian.npz")); });
  EXPECT_NE(big_endian.find("big_endian.npz"), std::string::npos) << big_endian;
  EXPECT_NE(big_endian.find("'>f8'"), std::string::npos) << big_endian;

  const std::string missing = user_error_of([] { read_npz(fixture("missing.npz")); });
  EXPECT_NE(missing.find("missing.npz"), std::string::npos) << missing;
}

TEST(NpzArchive, DamagedEntryIsAUserError) {
  std::ifstream in(fixture("stats.npz"), std::ios::binary);
  std::string archive((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // mu's 0.5 is stored uncompressed: flipping one of its bits breaks the entry's CRC.
  const double half = 0.5;
  const std::size_t position = archive.find(std::string(reinterpret_cast<const char*>(&half), sizeof half));
  ASSERT_NE(position, std::string::npos);
  archive[position + 7] = static_cast<char>(archive[position + 7] ^ 1);
  const std::string path = testing::temp_path("damaged.npz");
  std::ofstream(path, std::ios::binary) << archive;
  const std::string message = user_error_of([&] { read_npz(path); });
  EXPECT_NE(message.find("damaged.npz: mu.npy"), std::string::npos) << message;
  std::remove(path.c_str());
}

TEST(NpyPayload, ParsesAHandBuiltArray) {
  const std::string bytes =
      npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", doubles({1.5, -2.0}));
  EXPECT_TRUE(at::equal(parse_npy(bytes, "a.npy"), at::tensor({1.5, -2.0}, at::kDouble)));
  const std::string empty = npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }", "");
  EXPECT_EQ(parse_npy(empty, "e.npy").sizes(), (std::vector<std::int64_t>{0, 3}));
}

TEST(NpyPayload, FortranOrderReversesAllDimensions) {
  // Column-major [2, 3, 4]: element (i, j, k), whose value is 12i + 4j + k, lies at i + 2j + 6k.
  std::vector<double> column_major(24);
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 3; ++j) {
      for (int k = 0; k < 4; ++k) column_major[i + 2 * j + 6 * k] = 12 * i + 4 * j + k;
    }
  }
  const std::string bytes =
      npy_bytes("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3, 4), }", doubles(column_major));
  const at::Tensor tensor = parse_npy(bytes, "f.npy");
  EXPECT_TRUE(tensor.is_contiguous());
  EXPECT_TRUE(at::equal(tensor, at::arange(24, at::kDouble).view({2, 3, 4}))) << tensor;
}

TEST(NpyPayload, TruncatedOrOversizedDataIsAUserError) {
  const std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }";
  const std::string data = doubles({0.5, -1.25, 2.0, 3.75});
  const std::string short_data = user_error_of([&] { parse_npy(npy_bytes(header, data.substr(0, 31)), "mu.npy"); });
  EXPECT_NE(short_data.find("mu.npy"), std::string::npos) << short_data;
  EXPECT_THROW(parse_npy(npy_bytes(header, data + "x"), "mu.npy"), UserError);
  // Every cut of a valid file, headers included, is refused rather than read out of bounds.
  const std::string whole = npy_bytes(header, data);
  ASSERT_NO_THROW(parse_npy(whole, "mu.npy"));
  for (std::size_t size = 0; size < whole.size(); ++size) {
    EXPECT_THROW(parse_npy(whole.substr(0, size), "mu.npy"), UserError) << size << " bytes";
  }
}

TEST(NpyPayload, MalformedHeadersAndValuesAreUserErrors) {
  const std::string one = doubles({1.0});
  for (const char* header : {
           "{'descr': '<f8', 'fortran_order': False}",                        // no shape
           "{'descr': '<f8', 'fortran_order': Maybe, 'shape': (1,), }",       // not a bool
           "{'descr': '<f8', 'fortran_order': False, 'shape': (-1,), }",      // negative
           "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'x': 1}",  // unknown key
           "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,), }",
           "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }",
           "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,), }",
           "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }",
       }) {
    EXPECT_THROW(parse_npy(npy_bytes(header, one), "h.npy"), UserError) << header;
  }
  // A bool array may only hold 0 and 1.
  EXPECT_THROW(parse_npy(npy_bytes("{'descr': '|b1', 'fortran_order': False, 'shape': (1,), }", "\x02"), "b.npy"),
               UserError);
}

}  // namespace
}  // namespace scorch::data
