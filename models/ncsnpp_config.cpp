#include "models/ncsnpp_config.h"

#include "common/config.h"
#include "common/user_error.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace scorch::models {
namespace {

using Options = NcsnppOptions;

bool auto_or_boolean(const Config& config, const std::string& key, bool automatic) {
  const std::string& value = config.string(key);
  return value == "auto" ? automatic : value == "true";
}

}  // namespace

void declare_ncsnpp_config(ConfigSchema& schema) {
  using T = ConfigType;
  const std::string p = "model.ncsnpp.";
  schema.add({p + "nf", T::integer, "128", "ncsnpp: base channel count", {}, 1.0});
  schema.add({p + "ch_mult", T::number_list, "[1, 2, 2, 2]", "ncsnpp: channel multiplier per resolution level"});
  schema.add({p + "num_res_blocks", T::integer, "4", "ncsnpp: residual blocks per level (8 in the deep variants)", {}, 1.0});
  schema.add({p + "attn_resolutions", T::number_list, "[16]", "ncsnpp: resolutions with self-attention"});
  schema.add({p + "dropout", T::number, "0.1", "ncsnpp: dropout rate in residual blocks", {}, 0.0, false, 0.99});
  schema.add({p + "resblock_type", T::choice, "biggan", "ncsnpp: ddpm or biggan residual blocks", {"ddpm", "biggan"}});
  schema.add({p + "skip_rescale", T::boolean, "true", "ncsnpp: divide residual sums by sqrt(2)"});
  schema.add({p + "fir", T::boolean, "true", "ncsnpp: FIR (StyleGAN2) resampling instead of naive"});
  schema.add({p + "fir_kernel", T::number_list, "[1, 3, 3, 1]", "ncsnpp: separable FIR taps"});
  schema.add({p + "progressive", T::choice, "none", "ncsnpp: output pyramid: none, output_skip or residual",
              {"none", "output_skip", "residual"}});
  schema.add({p + "progressive_input", T::choice, "residual", "ncsnpp: input pyramid: none, input_skip or residual",
              {"none", "input_skip", "residual"}});
  schema.add({p + "progressive_combine", T::choice, "sum", "ncsnpp: input_skip merge: sum or cat", {"sum", "cat"}});
  schema.add({p + "embedding_type", T::choice, "fourier",
              "ncsnpp: conditioning embedding: fourier (of log sigma) or positional", {"fourier", "positional"}});
  schema.add({p + "fourier_scale", T::number, "16", "ncsnpp: std of the Fourier feature frequencies", {}, 0.0, true});
  schema.add({p + "conditional", T::boolean, "true", "ncsnpp: feed the embedding to the residual blocks"});
  schema.add({p + "init_scale", T::number, "0", "ncsnpp: init scale of output layers (0 means 1e-10)", {}, 0.0});
  schema.add({p + "scale_by_sigma", T::choice, "auto", "ncsnpp: divide the output by sigma (auto: VE yes, VP no)",
              {"auto", "true", "false"}});
  schema.add({p + "centered", T::choice, "auto",
              "ncsnpp: inputs already in [-1, 1] (auto: VE no, inputs in [0, 1]; VP yes)", {"auto", "true", "false"}});
  schema.add({p + "resamp_with_conv", T::boolean, "true", "ncsnpp: learned convolution in ddpm-type resampling"});
  schema.add({p + "nonlinearity", T::choice, "swish", "ncsnpp: swish, elu, relu or lrelu",
              {"swish", "elu", "relu", "lrelu"}});
}

NcsnppOptions ncsnpp_options_from(const Config& config, const std::vector<std::int64_t>& input_shape,
                                  bool variance_exploding) {
  if (input_shape.size() != 3 || input_shape[1] != input_shape[2]) {
    throw UserError(fmt::format("ncsnpp needs model.input_shape [C, H, W] with H = W; got [{}]", fmt::join(input_shape, ", ")));
  }
  const std::string p = "model.ncsnpp.";
  Options o;
  o.channels = input_shape[0];
  o.image_size = input_shape[1];
  o.nf = config.integer(p + "nf");
  o.ch_mult = config.integer_list(p + "ch_mult", 1);
  o.num_res_blocks = config.integer(p + "num_res_blocks");
  o.attn_resolutions = config.integer_list(p + "attn_resolutions", 1);
  o.dropout = config.number(p + "dropout");
  o.resblock_type = config.string(p + "resblock_type") == "ddpm" ? Options::ResblockType::ddpm : Options::ResblockType::biggan;
  o.skip_rescale = config.boolean(p + "skip_rescale");
  o.fir = config.boolean(p + "fir");
  o.fir_kernel = config.number_list(p + "fir_kernel").values;
  const std::string& progressive = config.string(p + "progressive");
  o.progressive = progressive == "output_skip" ? Options::Progressive::output_skip
                  : progressive == "residual"  ? Options::Progressive::residual
                                               : Options::Progressive::none;
  const std::string& progressive_input = config.string(p + "progressive_input");
  o.progressive_input = progressive_input == "input_skip" ? Options::ProgressiveInput::input_skip
                        : progressive_input == "residual" ? Options::ProgressiveInput::residual
                                                          : Options::ProgressiveInput::none;
  o.progressive_combine = config.string(p + "progressive_combine") == "cat" ? CombineImpl::Method::cat : CombineImpl::Method::sum;
  o.embedding_type = config.string(p + "embedding_type") == "positional" ? Options::Embedding::positional : Options::Embedding::fourier;
  o.fourier_scale = config.number(p + "fourier_scale");
  o.conditional = config.boolean(p + "conditional");
  o.init_scale = config.number(p + "init_scale");
  o.centered = auto_or_boolean(config, p + "centered", !variance_exploding);
  o.resamp_with_conv = config.boolean(p + "resamp_with_conv");
  o.nonlinearity = parse_activation(config.string(p + "nonlinearity"));
  return o;
}

bool ncsnpp_scale_by_sigma(const Config& config, bool variance_exploding) {
  return auto_or_boolean(config, "model.ncsnpp.scale_by_sigma", variance_exploding);
}

}  // namespace scorch::models
