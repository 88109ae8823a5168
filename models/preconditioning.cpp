#include "models/preconditioning.h"

#include "models/score_function.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <cmath>
#include <cstdint>

namespace scorch::models {
namespace {

// The name of the conditioning variable and of its noise std in descriptions.
std::string variable(Conditioning conditioning) {
  switch (conditioning) {
    case Conditioning::time: return "t";
    case Conditioning::noise_level: return "sigma";
    case Conditioning::chain_time: return "tau";
  }
  return "?";
}

std::string noise_std_name(Conditioning conditioning) {
  return conditioning == Conditioning::time ? "sigma_t" : "sigma";
}

}  // namespace

Preconditioning::Preconditioning(DiffusionProcess process, Label label, Output output, double label_scale)
    : process_(std::move(process)), label_(label), output_(output), label_scale_(label_scale) {}

at::Tensor Preconditioning::label(const at::Tensor& conditioning) const {
  const at::Tensor c = conditioning.to(at::kDouble).reshape({-1});
  switch (label_) {
    case Label::conditioning: return c;
    case Label::noise_std: return process_.noise_std(c);
    case Label::log_noise_std: return at::log(process_.noise_std(c));
    case Label::scaled: return c * label_scale_;
  }
  return c;
}

at::Tensor Preconditioning::output(const at::Tensor& out, const at::Tensor& conditioning) const {
  if (output_ == Output::plain) return out;
  const at::Tensor sigma = per_example_factor(process_.noise_std(conditioning), out);
  return output_ == Output::over_noise_std ? out / sigma : -out / sigma;
}

std::string Preconditioning::label_text() const {
  const Conditioning c = process_.conditioning();
  switch (label_) {
    case Label::conditioning: return c == Conditioning::chain_time ? "tau = t/n" : variable(c);
    case Label::noise_std: return noise_std_name(c);
    case Label::log_noise_std: return "log " + noise_std_name(c);
    case Label::scaled: {
      // 999 t, as the reference's (N − 1)·t, rather than 1e+03 t.
      const bool integral = label_scale_ == std::floor(label_scale_) && std::abs(label_scale_) < 1e15;
      const std::string scale = integral ? std::to_string(static_cast<std::int64_t>(label_scale_))
                                         : fmt::format("{}", label_scale_);
      return scale + " " + variable(c);
    }
  }
  return "?";
}

std::string Preconditioning::output_text() const {
  const std::string sigma = noise_std_name(process_.conditioning());
  const std::string target = process_.conditioning() == Conditioning::chain_time ? "noise prediction" : "score";
  switch (output_) {
    case Output::plain: return target + " = out";
    case Output::over_noise_std: return target + " = out / " + sigma;
    case Output::minus_over_noise_std: return target + " = -out / " + sigma;
  }
  return "?";
}

}  // namespace scorch::models
