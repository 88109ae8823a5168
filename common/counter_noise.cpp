#include "common/counter_noise.h"

#include "common/device_copy.h"

#include <ATen/ATen.h>

#include <array>
#include <cmath>

namespace scorch {
namespace {

constexpr std::int64_t kLow32 = 0xFFFFFFFFLL;
constexpr std::int64_t kLow16 = 0xFFFFLL;
// Philox-4x32's round multipliers and Weyl key increments (Random123).
constexpr std::int64_t kMultiplier0 = 0xD2511F53LL, kMultiplier1 = 0xCD9E8D57LL;
constexpr std::int64_t kWeyl0 = 0x9E3779B9LL, kWeyl1 = 0xBB67AE85LL;

struct HighLow {
  at::Tensor high, low;
};

// The 64-bit product of a 32-bit word tensor and a 32-bit constant, split in
// words. int64 cannot hold the product unsigned (and signed overflow is not
// defined), so it is formed from 16-bit halves: each partial product is below
// 2^32 and each sum below 2^33.
HighLow multiply_high_low(const at::Tensor& a, std::int64_t multiplier) {
  const at::Tensor a_low = a.bitwise_and(kLow16), a_high = a.bitwise_right_shift(16);
  const std::int64_t m_low = multiplier & kLow16, m_high = multiplier >> 16;
  const at::Tensor middle = a_low * m_high + a_high * m_low;  // < 2^33
  const at::Tensor low_sum = a_low * m_low + middle.bitwise_and(kLow16).bitwise_left_shift(16);  // < 2^33
  return {a_high * m_high + middle.bitwise_right_shift(16) + low_sum.bitwise_right_shift(32),
          low_sum.bitwise_and(kLow32)};
}

// Philox-4x32-10 on broadcasting word tensors: the counters may be [rows,
// pairs] while each row's key is [rows, 1], so the key schedule costs nothing
// per element.
std::array<at::Tensor, 4> philox_rounds(std::array<at::Tensor, 4> c, at::Tensor k0, at::Tensor k1) {
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k0 = (k0 + kWeyl0).bitwise_and(kLow32);
      k1 = (k1 + kWeyl1).bitwise_and(kLow32);
    }
    const HighLow first = multiply_high_low(c[0], kMultiplier0), second = multiply_high_low(c[2], kMultiplier1);
    c = {second.high.bitwise_xor(c[1]).bitwise_xor(k0), second.low, first.high.bitwise_xor(c[3]).bitwise_xor(k1),
         first.low};
  }
  return c;
}

}  // namespace

at::Tensor philox4x32(const at::Tensor& counters, const at::Tensor& keys) {
  const auto out = philox_rounds({counters.select(1, 0), counters.select(1, 1), counters.select(1, 2),
                                  counters.select(1, 3)},
                                 keys.select(1, 0), keys.select(1, 1));
  return at::stack({out[0], out[1], out[2], out[3]}, 1);
}

at::Tensor counter_normal(const RandomKey& key, const std::vector<std::int64_t>& global_indices,
                          at::IntArrayRef example_shape, const at::TensorOptions& options) {
  const auto rows = static_cast<std::int64_t>(global_indices.size());
  std::int64_t numel = 1;
  for (const std::int64_t size : example_shape) numel *= size;
  const std::int64_t pairs = (numel + 1) / 2;
  std::vector<std::int64_t> words;
  words.reserve(2 * global_indices.size());
  for (const std::int64_t index : global_indices) {
    const std::uint64_t seed = derive_seed(key, static_cast<std::uint64_t>(index));
    words.push_back(static_cast<std::int64_t>(seed & 0xFFFFFFFFULL));
    words.push_back(static_cast<std::int64_t>(seed >> 32));
  }
  const at::TensorOptions integers = options.dtype(at::kLong);
  // The keys are the only host data: 16 bytes per example.
  const at::Tensor example_keys = to_device(at::tensor(words, at::kLong).view({rows, 2}), options.device());
  // The counter is the element pair's position within its example and the key
  // is the example's, so a draw depends on the global index alone, never on
  // the batch; [rows, pairs] counters broadcast against [rows, 1] keys.
  const at::Tensor counter = at::arange(pairs, integers).unsqueeze(0).expand({rows, pairs});
  const at::Tensor zero = at::zeros({1, 1}, integers);
  const auto out = philox_rounds({counter, zero, zero, zero}, example_keys.narrow(1, 0, 1), example_keys.narrow(1, 1, 1));
  // Uniforms in [0, 1) with a double's full 53-bit mantissa (27 high bits of
  // one word, 26 of the next), so that Box–Muller's tail reaches past 8σ.
  auto uniform = [&](int first) {
    const at::Tensor bits = out[first].bitwise_right_shift(5).bitwise_left_shift(26) +
                            out[first + 1].bitwise_right_shift(6);
    return bits.to(at::kDouble) * std::ldexp(1.0, -53);
  };
  const at::Tensor radius = at::sqrt(-2.0 * at::log1p(-uniform(0)));
  const at::Tensor angle = (2.0 * M_PI) * uniform(2);
  // Interleaved, so that element k of an example is the same deviate whatever
  // the example's size: pair j gives elements 2j (cosine) and 2j + 1 (sine).
  const at::Tensor normals = at::stack({radius * at::cos(angle), radius * at::sin(angle)}, 2).view({rows, 2 * pairs});
  std::vector<std::int64_t> shape{rows};
  shape.insert(shape.end(), example_shape.begin(), example_shape.end());
  return normals.narrow(1, 0, numel).reshape(shape).to(options.dtype());
}

}  // namespace scorch
