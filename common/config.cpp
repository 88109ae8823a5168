#include "common/config.h"

#include "common/user_error.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace scorch {
namespace {

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  const auto last = s.find_last_not_of(" \t");
  return s.substr(first, last - first + 1);
}

std::optional<double> parse_number(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || errno == ERANGE || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::optional<std::int64_t> parse_integer(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  if (end != text.c_str() + text.size() || errno == ERANGE) return std::nullopt;
  return value;
}

std::optional<bool> parse_boolean(const std::string& text) {
  std::string lower = text;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "true" || lower == "yes" || lower == "on") return true;
  if (lower == "false" || lower == "no" || lower == "off") return false;
  return std::nullopt;
}

}  // namespace

std::string describe_expected_value(const ConfigKey& key) {
  switch (key.type) {
    case ConfigType::number: return "a number";
    case ConfigType::integer: return "an integer";
    case ConfigType::boolean: return "true or false";
    case ConfigType::string: return "a string";
    case ConfigType::choice: return fmt::format("one of {}", fmt::join(key.choices, ", "));
    case ConfigType::number_list: return "a number or a rectangular list of numbers";
  }
  return "a value";
}

namespace {

void check_bounds(const ConfigKey& key, double value, const std::string& text, const std::string& where) {
  if (key.minimum) {
    const bool too_small = key.minimum_exclusive ? value <= *key.minimum : value < *key.minimum;
    if (too_small) {
      throw UserError(fmt::format("{}: config key '{}' = {} must be {} {}", where, key.path, text,
                                  key.minimum_exclusive ? ">" : ">=", *key.minimum));
    }
  }
  if (key.maximum && value > *key.maximum) {
    throw UserError(fmt::format("{}: config key '{}' = {} must be <= {}", where, key.path, text, *key.maximum));
  }
}

std::string where_in_file(const std::string& source, const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.line < 0) return source;
  return fmt::format("{}:{}", source, mark.line + 1);
}

}  // namespace

void ConfigSchema::add(ConfigKey key) {
  if (find(key.path) != nullptr) throw std::logic_error("config key declared twice: " + key.path);
  if (key.type == ConfigType::choice && key.choices.empty()) throw std::logic_error("choice key without choices: " + key.path);
  keys_.push_back(std::move(key));
  // The default must itself be valid; a bad default is a programming error.
  try {
    keys_.back().default_value = validate_config_value(keys_.back(), keys_.back().default_value, "default");
  } catch (const UserError& e) {
    throw std::logic_error(e.what());
  }
}

void ConfigSchema::allow_change_on_resume(const std::vector<std::string>& paths) {
  for (const std::string& path : paths) {
    const bool section = !path.empty() && path.back() == '.';
    bool found = false;
    for (ConfigKey& key : keys_) {
      if (section ? key.path.rfind(path, 0) == 0 : key.path == path) {
        key.may_change_on_resume = true;
        found = true;
      }
    }
    if (!found) throw std::logic_error("allow_change_on_resume: no declared key " + path);
  }
}

const ConfigKey* ConfigSchema::find(const std::string& path) const {
  for (const auto& key : keys_) {
    if (key.path == path) return &key;
  }
  return nullptr;
}

bool ConfigSchema::is_section(const std::string& path) const {
  const std::string prefix = path + ".";
  return std::any_of(keys_.begin(), keys_.end(),
                     [&](const ConfigKey& key) { return key.path.compare(0, prefix.size(), prefix) == 0; });
}

std::string ConfigSchema::closest_key(const std::string& path) const {
  std::string best;
  std::size_t best_distance = std::string::npos;
  for (const auto& key : keys_) {
    const std::size_t d = edit_distance(path, key.path);
    if (d < best_distance) {
      best_distance = d;
      best = key.path;
    }
  }
  // Only suggest when the typo is small relative to the key.
  return best_distance <= std::max<std::size_t>(2, path.size() / 3) ? best : "";
}

std::string validate_config_value(const ConfigKey& key, const std::string& raw, const std::string& where) {
  const std::string value = trim(raw);
  auto bad = [&]() {
    return UserError(fmt::format("{}: config key '{}' expects {}, got '{}'", where, key.path, describe_expected_value(key), value));
  };
  switch (key.type) {
    case ConfigType::number: {
      const auto parsed = parse_number(value);
      if (!parsed) throw bad();
      check_bounds(key, *parsed, value, where);
      return fmt::format("{}", *parsed);
    }
    case ConfigType::integer: {
      const auto parsed = parse_integer(value);
      if (!parsed) throw bad();
      check_bounds(key, static_cast<double>(*parsed), value, where);
      return std::to_string(*parsed);
    }
    case ConfigType::boolean: {
      const auto parsed = parse_boolean(value);
      if (!parsed) throw bad();
      return *parsed ? "true" : "false";
    }
    case ConfigType::string:
      return value;
    case ConfigType::choice:
      if (std::find(key.choices.begin(), key.choices.end(), value) == key.choices.end()) throw bad();
      return value;
    case ConfigType::number_list: {
      if (!parse_number_array(value)) throw bad();
      // Canonical flow form, e.g. [[5, 5], [-5, -5]].
      YAML::Emitter out;
      out << YAML::Flow << YAML::Load(value);
      return out.c_str();
    }
  }
  throw bad();
}

namespace {
bool collect_numbers(const YAML::Node& node, std::size_t depth, NumberArray& out) {
  if (node.IsScalar()) {
    const auto value = parse_number(node.Scalar());
    if (!value) return false;
    out.values.push_back(*value);
    return depth == out.shape.size();
  }
  if (!node.IsSequence() || node.size() == 0) return false;
  if (depth == out.shape.size()) {
    if (!out.values.empty()) return false;  // a list where earlier siblings were numbers
    out.shape.push_back(static_cast<std::int64_t>(node.size()));
  } else if (depth > out.shape.size() || out.shape[depth] != static_cast<std::int64_t>(node.size())) {
    return false;
  }
  for (const auto& child : node) {
    if (!collect_numbers(child, depth + 1, out)) return false;
  }
  return true;
}
}  // namespace

std::optional<NumberArray> parse_number_array(const std::string& yaml_text) {
  try {
    NumberArray array;
    const YAML::Node node = YAML::Load(yaml_text);
    // [] is the empty list (shape [0]), e.g. "not set" for an optional interval.
    if (node.IsSequence() && node.size() == 0) return NumberArray{{}, {0}};
    if (!collect_numbers(node, 0, array)) return std::nullopt;
    std::int64_t expected = 1;
    for (std::int64_t n : array.shape) expected *= n;
    if (static_cast<std::int64_t>(array.values.size()) != expected) return std::nullopt;
    return array;
  } catch (const YAML::Exception&) {
    return std::nullopt;
  }
}

Config::Config(const ConfigSchema& schema) : schema_(&schema) {
  for (const auto& key : schema.keys()) {
    values_[key.path] = key.default_value;
    explicit_[key.path] = false;
  }
}

Config Config::defaults(const ConfigSchema& schema) { return Config(schema); }

void Config::assign(const std::string& path, const std::string& value, const std::string& where) {
  const ConfigKey* key = schema_->find(path);
  if (key == nullptr) {
    if (schema_->is_section(path)) {
      throw UserError(fmt::format("{}: config key '{}' is a section; set one of its keys instead", where, path));
    }
    const std::string hint = schema_->closest_key(path);
    throw UserError(fmt::format("{}: unknown config key '{}'{}", where, path,
                                hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint)));
  }
  values_[path] = validate_config_value(*key, value, where);
  explicit_[path] = true;
}

void Config::set(const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw UserError(fmt::format("--set: expected key=value, got '{}'", assignment));
  }
  assign(trim(assignment.substr(0, eq)), assignment.substr(eq + 1), "--set");
}

namespace {
void load_node(const ConfigSchema& schema, const YAML::Node& node, const std::string& prefix,
               const std::string& source,
               const std::function<void(const std::string&, const std::string&, const std::string&)>& assign) {
  for (const auto& entry : node) {
    if (!entry.first.IsScalar()) {
      throw UserError(fmt::format("{}: config keys must be plain names", where_in_file(source, entry.first)));
    }
    const std::string name = entry.first.Scalar();
    const std::string path = prefix.empty() ? name : prefix + "." + name;
    const YAML::Node& value = entry.second;
    const std::string where = where_in_file(source, entry.first);
    if (value.IsMap()) {
      if (schema.find(path) != nullptr) {
        throw UserError(fmt::format("{}: config key '{}' expects a single value, got a mapping", where, path));
      }
      if (!schema.is_section(path)) {
        assign(path, "", where);  // reports the unknown key with a hint
      }
      load_node(schema, value, path, source, assign);
    } else if (value.IsScalar()) {
      assign(path, value.Scalar(), where);
    } else if (value.IsNull()) {
      throw UserError(fmt::format("{}: config key '{}' has no value", where, path));
    } else if (const ConfigKey* key = schema.find(path); key != nullptr && key->type == ConfigType::number_list) {
      YAML::Emitter flow;
      flow << YAML::Flow << value;
      assign(path, flow.c_str(), where);
    } else {
      throw UserError(fmt::format("{}: config key '{}' expects a single value, got a list", where, path));
    }
  }
}
}  // namespace

namespace {
// The YAML mapping of a config text (null for an empty one).
YAML::Node parse_config(const std::string& yaml_text, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw UserError(fmt::format("{}:{}: invalid YAML: {}", source, e.mark.line + 1, e.msg));
  }
  if (!root.IsNull() && !root.IsMap()) throw UserError(fmt::format("{}: a config must be a YAML mapping of keys", source));
  return root;
}
}  // namespace

Config Config::load_string(const ConfigSchema& schema, const std::string& yaml_text,
                           const std::vector<std::string>& overrides, const std::string& source) {
  Config config(schema);
  const YAML::Node root = parse_config(yaml_text, source);
  if (!root.IsNull()) {
    load_node(schema, root, "", source,
              [&](const std::string& path, const std::string& value, const std::string& where) {
                config.assign(path, value, where);
              });
  }
  for (const auto& assignment : overrides) config.set(assignment);
  return config;
}

Config Config::load_file(const ConfigSchema& schema, const std::string& path,
                         const std::vector<std::string>& overrides) {
  Config config(schema);
  config.apply_file(path, 0);
  for (const auto& assignment : overrides) config.set(assignment);
  return config;
}

void Config::apply_file(const std::string& path, int depth) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    throw UserError(fmt::format("{}: not a config file (missing, or a directory)", path));
  }
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) throw UserError(fmt::format("{}: cannot open config file", path));
  std::string text;
  char buffer[4096];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) text.append(buffer, n);
  const bool failed = std::ferror(file) != 0;
  std::fclose(file);
  if (failed) throw UserError(fmt::format("{}: cannot read config file", path));
  YAML::Node root = parse_config(text, path);
  if (root.IsNull()) return;
  if (const YAML::Node base = root["base"]) {
    if (!base.IsScalar() || base.Scalar().empty()) {
      throw UserError(fmt::format("{}: `base:` must name a config file", where_in_file(path, base)));
    }
    if (depth >= 8) throw UserError(fmt::format("{}: more than 8 nested `base:` configs (a cycle?)", path));
    const std::filesystem::path named(base.Scalar());
    apply_file(named.is_absolute() ? named.string() : (std::filesystem::path(path).parent_path() / named).string(),
               depth + 1);
    root.remove("base");
  }
  load_node(*schema_, root, "", path, [&](const std::string& key, const std::string& value, const std::string& where) {
    assign(key, value, where);
  });
}

const ConfigKey& Config::key(const std::string& path) const {
  const ConfigKey* key = schema_->find(path);
  if (key == nullptr) throw std::logic_error("config key not declared: " + path);
  return *key;
}

double Config::number(const std::string& path) const {
  if (key(path).type != ConfigType::number) throw std::logic_error("not a number key: " + path);
  return *parse_number(values_.at(path));
}

std::int64_t Config::integer(const std::string& path) const {
  if (key(path).type != ConfigType::integer) throw std::logic_error("not an integer key: " + path);
  return *parse_integer(values_.at(path));
}

bool Config::boolean(const std::string& path) const {
  if (key(path).type != ConfigType::boolean) throw std::logic_error("not a boolean key: " + path);
  return values_.at(path) == "true";
}

NumberArray Config::number_list(const std::string& path) const {
  if (key(path).type != ConfigType::number_list) throw std::logic_error("not a number list key: " + path);
  return *parse_number_array(values_.at(path));
}

std::vector<std::int64_t> Config::integer_list(const std::string& path, std::int64_t minimum) const {
  const NumberArray array = number_list(path);
  if (array.shape.size() > 1) throw UserError(fmt::format("config key '{}' needs a flat list of integers", path));
  std::vector<std::int64_t> values;
  for (double v : array.values) {
    if (v != std::floor(v) || v < static_cast<double>(minimum)) {
      throw UserError(fmt::format("config key '{}' needs integers >= {}; got {}", path, minimum, v));
    }
    values.push_back(static_cast<std::int64_t>(v));
  }
  return values;
}

const std::string& Config::string(const std::string& path) const {
  const ConfigType type = key(path).type;
  if (type != ConfigType::string && type != ConfigType::choice) throw std::logic_error("not a string key: " + path);
  return values_.at(path);
}

const std::string& Config::text(const std::string& path) const {
  key(path);
  return values_.at(path);
}

bool Config::is_explicit(const std::string& path) const {
  key(path);
  return explicit_.at(path);
}

std::string config_default(double value) { return fmt::format("{}", value); }
std::string config_default_integer(std::int64_t value) { return std::to_string(value); }
std::string config_default_boolean(bool value) { return value ? "true" : "false"; }

std::string Config::to_yaml() const {
  // A default-constructed Node has no storage of its own, so copies of it would
  // not share children: start from an explicit map.
  YAML::Node root(YAML::NodeType::Map);
  for (const auto& key : schema_->keys()) {
    // Walk/create the nested maps for the dotted path.
    std::vector<std::string> parts;
    std::size_t start = 0, dot;
    while ((dot = key.path.find('.', start)) != std::string::npos) {
      parts.push_back(key.path.substr(start, dot - start));
      start = dot + 1;
    }
    const std::string leaf = key.path.substr(start);
    std::vector<YAML::Node> chain{root};
    for (const auto& part : parts) chain.push_back(chain.back()[part]);
    // Canonical text (shortest round-trip for numbers), emitted as a plain scalar.
    if (key.type == ConfigType::number_list) {
      YAML::Node list = YAML::Load(values_.at(key.path));
      list.SetStyle(YAML::EmitterStyle::Flow);  // one line, as a user would write it
      chain.back()[leaf] = list;
    } else {
      chain.back()[leaf] = values_.at(key.path);
    }
  }
  YAML::Emitter out;
  out << root;
  return std::string(out.c_str()) + "\n";
}

}  // namespace scorch
