#include "models/ncsnpp_config.h"

#include "common/config.h"
#include "common/name_table.h"
#include "common/user_error.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace scorch::models {
namespace {

using Options = NcsnppOptions;

bool auto_or_boolean(const Config& config, const std::string& key, bool automatic) {
  const std::string& value = config.string(key);
  return value == kAutomatic ? automatic : value == "true";
}

// The reference configs' names for each option value.
const std::vector<Named<Options::ResblockType>>& resblock_types() {
  static const std::vector<Named<Options::ResblockType>> table = {{Options::ResblockType::ddpm, "ddpm"},
                                                                  {Options::ResblockType::biggan, "biggan"}};
  return table;
}

const std::vector<Named<Options::Progressive>>& output_pyramids() {
  static const std::vector<Named<Options::Progressive>> table = {{Options::Progressive::none, "none"},
                                                                 {Options::Progressive::output_skip, "output_skip"},
                                                                 {Options::Progressive::residual, "residual"}};
  return table;
}

const std::vector<Named<Options::ProgressiveInput>>& input_pyramids() {
  static const std::vector<Named<Options::ProgressiveInput>> table = {
      {Options::ProgressiveInput::none, "none"},
      {Options::ProgressiveInput::input_skip, "input_skip"},
      {Options::ProgressiveInput::residual, "residual"}};
  return table;
}

const std::vector<Named<CombineImpl::Method>>& combine_methods() {
  static const std::vector<Named<CombineImpl::Method>> table = {{CombineImpl::Method::sum, "sum"},
                                                                {CombineImpl::Method::cat, "cat"}};
  return table;
}

const std::vector<Named<Options::Embedding>>& embeddings() {
  static const std::vector<Named<Options::Embedding>> table = {{Options::Embedding::fourier, "fourier"},
                                                               {Options::Embedding::positional, "positional"}};
  return table;
}

template <typename Value>
std::string name_of(const std::vector<Named<Value>>& table, Value value) {
  return row_of(table, value).name;
}

template <typename Value>
Value parsed(const Config& config, const std::string& key, const std::vector<Named<Value>>& table) {
  return row_named(table, config.string(key), key).value;
}

template <typename Number>
std::string list_default(const std::vector<Number>& values) {
  return fmt::format("[{}]", fmt::join(values, ", "));
}

}  // namespace

void declare_ncsnpp_config(ConfigSchema& schema) {
  using T = ConfigType;
  const std::string p = "model.ncsnpp.";
  // Defaults come from NcsnppOptions, so each is stated once.
  const Options d;
  schema.add({p + "nf", T::integer, config_default_integer(d.nf), "ncsnpp: base channel count", {}, 1.0});
  schema.add({p + "ch_mult", T::number_list, list_default(d.ch_mult), "ncsnpp: channel multiplier per resolution level"});
  schema.add({p + "num_res_blocks", T::integer, config_default_integer(d.num_res_blocks),
              "ncsnpp: residual blocks per level (8 in the deep variants)", {}, 1.0});
  schema.add({p + "attn_resolutions", T::number_list, list_default(d.attn_resolutions),
              "ncsnpp: resolutions with self-attention"});
  schema.add({p + "dropout", T::number, config_default(d.dropout), "ncsnpp: dropout rate in residual blocks", {}, 0.0,
              false, 0.99});
  schema.add({p + "resblock_type", T::choice, name_of(resblock_types(), d.resblock_type),
              "ncsnpp: " + spoken_list(table_names(resblock_types())) + " residual blocks", table_names(resblock_types())});
  schema.add({p + "skip_rescale", T::boolean, config_default_boolean(d.skip_rescale),
              "ncsnpp: divide residual sums by sqrt(2)"});
  schema.add({p + "fir", T::boolean, config_default_boolean(d.fir), "ncsnpp: FIR (StyleGAN2) resampling instead of naive"});
  schema.add({p + "fir_kernel", T::number_list, list_default(d.fir_kernel), "ncsnpp: separable FIR taps"});
  schema.add({p + "progressive", T::choice, name_of(output_pyramids(), d.progressive),
              "ncsnpp: output pyramid: " + spoken_list(table_names(output_pyramids())), table_names(output_pyramids())});
  schema.add({p + "progressive_input", T::choice, name_of(input_pyramids(), d.progressive_input),
              "ncsnpp: input pyramid: " + spoken_list(table_names(input_pyramids())), table_names(input_pyramids())});
  schema.add({p + "progressive_combine", T::choice, name_of(combine_methods(), d.progressive_combine),
              "ncsnpp: input_skip merge: " + spoken_list(table_names(combine_methods())), table_names(combine_methods())});
  schema.add({p + "embedding_type", T::choice, name_of(embeddings(), d.embedding_type),
              "ncsnpp: conditioning embedding: fourier (of log sigma) or positional", table_names(embeddings())});
  schema.add({p + "fourier_scale", T::number, config_default(d.fourier_scale),
              "ncsnpp: std of the Fourier feature frequencies", {}, 0.0, true});
  schema.add({p + "conditional", T::boolean, config_default_boolean(d.conditional),
              "ncsnpp: feed the embedding to the residual blocks"});
  schema.add({p + "init_scale", T::number, config_default(d.init_scale),
              "ncsnpp: init scale of output layers (0 means 1e-10)", {}, 0.0});
  schema.add({p + "scale_by_sigma", T::choice, kAutomatic, "ncsnpp: divide the output by sigma (auto: VE yes, VP no)",
              {kAutomatic, "true", "false"}});
  schema.add({p + "centered", T::choice, kAutomatic,
              "ncsnpp: inputs already in [-1, 1] (auto: VE no, inputs in [0, 1]; VP yes)", {kAutomatic, "true", "false"}});
  schema.add({p + "resamp_with_conv", T::boolean, config_default_boolean(d.resamp_with_conv),
              "ncsnpp: learned convolution in ddpm-type resampling"});
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
  o.resblock_type = parsed(config, p + "resblock_type", resblock_types());
  o.skip_rescale = config.boolean(p + "skip_rescale");
  o.fir = config.boolean(p + "fir");
  o.fir_kernel = config.number_list(p + "fir_kernel").values;
  o.progressive = parsed(config, p + "progressive", output_pyramids());
  o.progressive_input = parsed(config, p + "progressive_input", input_pyramids());
  o.progressive_combine = parsed(config, p + "progressive_combine", combine_methods());
  o.embedding_type = parsed(config, p + "embedding_type", embeddings());
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
