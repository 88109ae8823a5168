#pragma once
// Lookups in the tables that spell each user-visible name once (samplers,
// predictors, SDEs, models, metrics, …): a table is a vector of rows with a
// `const char* name`. Schema choices, --help texts and error hints are read
// from the table, so a new row needs no other edit.
#include "common/user_error.h"

#include <string>
#include <vector>

namespace scorch {

// A row that only names an enum value (predictors, ODE methods, option values, …).
template <typename Value>
struct Named {
  Value value;
  const char* name;
};

template <typename Row>
std::vector<std::string> table_names(const std::vector<Row>& table) {
  std::vector<std::string> names;
  for (const Row& row : table) names.emplace_back(row.name);
  return names;
}

// "a, b or c".
inline std::string spoken_list(const std::vector<std::string>& names) {
  std::string text;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) text += i + 1 == names.size() ? " or " : ", ";
    text += names[i];
  }
  return text;
}

// The row called `name`; UserError "unknown <what> '<name>' (expected a, b or c)" otherwise.
template <typename Row>
const Row& row_named(const std::vector<Row>& table, const std::string& name, const std::string& what) {
  for (const Row& row : table) {
    if (name == row.name) return row;
  }
  throw UserError("unknown " + what + " '" + name + "' (expected " + spoken_list(table_names(table)) + ")");
}

// The row whose `value` is `value` (a programming error when there is none).
template <typename Row, typename Value>
const Row& row_of(const std::vector<Row>& table, Value value) {
  for (const Row& row : table) {
    if (row.value == value) return row;
  }
  throw std::logic_error("a value without a table row");
}

}  // namespace scorch
