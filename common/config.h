#pragma once
// YAML experiment configs checked against a schema. Each library declares the
// keys it reads (with type, default, bounds and a description); the CLI builds
// the full schema, loads a file, applies `--set a.b=c` overrides, and gets a
// resolved config in which every key has a valid value. Unknown keys and bad
// values are UserErrors naming the key and where it came from.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace scorch {

// number_list: a number or a (nested, rectangular) YAML list of numbers, such
// as mixture means [[5, 5], [-5, -5]], or the empty list [].
enum class ConfigType { number, integer, boolean, string, choice, number_list };

// A number_list value: row-major values and the nesting shape ([] for a scalar).
struct NumberArray {
  std::vector<double> values;
  std::vector<std::int64_t> shape;
};

struct ConfigKey {
  std::string path;           // dotted, e.g. "sde.beta_min"
  ConfigType type = ConfigType::number;
  std::string default_value;  // as it would be written in YAML
  std::string description;
  std::vector<std::string> choices;  // for ConfigType::choice
  std::optional<double> minimum;     // for number and integer
  bool minimum_exclusive = false;
  std::optional<double> maximum;
  // Operational settings (length, logging, checkpoints, placement, loading) may
  // differ when a run resumes; every other key defines the run, so a new key or
  // section is covered by the resume check unless its declaration says otherwise.
  bool may_change_on_resume = false;
};

class ConfigSchema {
 public:
  // Adds a key; declaring the same path twice is a programming error.
  void add(ConfigKey key);
  // Marks declared keys as may_change_on_resume: exact paths, or "section." for
  // every key declared so far in that section. An unknown path is a logic_error.
  void allow_change_on_resume(const std::vector<std::string>& paths);
  const ConfigKey* find(const std::string& path) const;
  const std::vector<ConfigKey>& keys() const { return keys_; }
  bool is_section(const std::string& path) const;
  // The declared key most similar to path, for "did you mean" hints.
  std::string closest_key(const std::string& path) const;

 private:
  std::vector<ConfigKey> keys_;
};

class Config {
 public:
  // Loads YAML from a file; `source` in messages is the file name. A top-level
  // `base: FILE` (relative to this file) loads FILE first and this file's keys
  // override it, as score_sde's configs build on their defaults.
  static Config load_file(const ConfigSchema& schema, const std::string& path,
                          const std::vector<std::string>& overrides = {});
  static Config load_string(const ConfigSchema& schema, const std::string& yaml_text,
                            const std::vector<std::string>& overrides = {},
                            const std::string& source = "<string>");
  // Every key at its default.
  static Config defaults(const ConfigSchema& schema);

  double number(const std::string& path) const;
  std::int64_t integer(const std::string& path) const;
  bool boolean(const std::string& path) const;
  const std::string& string(const std::string& path) const;
  NumberArray number_list(const std::string& path) const;
  // A flat number list whose entries are all integers >= minimum; UserError otherwise.
  std::vector<std::int64_t> integer_list(const std::string& path, std::int64_t minimum) const;

  // The value in canonical text form, whatever the key's type.
  const std::string& text(const std::string& path) const;

  // Whether the key was given by the file or an override rather than defaulted.
  bool is_explicit(const std::string& path) const;

  // The resolved config as YAML, keys in schema order.
  std::string to_yaml() const;

  // Applies one "a.b=c" override.
  void set(const std::string& assignment);

 private:
  explicit Config(const ConfigSchema& schema);
  void assign(const std::string& path, const std::string& value, const std::string& where);
  // Applies a config file on top of this config: first its `base:` file (a
  // path relative to it, itself possibly with a base), then its own keys.
  void apply_file(const std::string& path, int depth);
  const ConfigKey& key(const std::string& path) const;

  const ConfigSchema* schema_;
  std::map<std::string, std::string> values_;
  std::map<std::string, bool> explicit_;
};

// The value of choice keys that the process resolves, as the reference does
// (e.g. model.ncsnpp.centered, sampler.pc.predictor).
inline constexpr const char* kAutomatic = "auto";

// A schema default written from a settings struct's own default member, so
// that each default is stated once (the struct) and the schema reads it.
std::string config_default(double value);
std::string config_default_integer(std::int64_t value);
std::string config_default_boolean(bool value);

// "a number", "one of ve, vp, subvp", ...: what a key accepts, for messages and listings.
std::string describe_expected_value(const ConfigKey& key);

// Throws a UserError naming `path` unless value parses as key's type and bounds;
// returns the value in canonical form.
std::string validate_config_value(const ConfigKey& key, const std::string& value, const std::string& where);

// Parses a YAML number or rectangular nested list of numbers; nullopt otherwise.
std::optional<NumberArray> parse_number_array(const std::string& yaml_text);

}  // namespace scorch
