// A YAML document as gpucfg reads it: plain data where every node knows the file, line and
// column it came from. yaml-cpp's own Node forgets duplicate keys and expands aliases without
// limit, so the reader builds this tree from parser events instead (reader.hpp).
#pragma once

#include "util/diagnostic.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gpucfg::yaml {

struct Value;
using ValuePtr = std::shared_ptr<Value>;

struct Value {
  enum class Kind { null, scalar, sequence, mapping };

  Kind kind = Kind::null;
  util::Mark mark;
  std::string scalar;                                 // for scalars, the text; keys are scalars too
  bool quoted = false;                                // "11.10" stays a string, and so does 'true'
  std::vector<ValuePtr> items;                        // sequence
  std::vector<std::pair<ValuePtr, ValuePtr>> entries; // mapping, in file order
  std::size_t expanded_size = 1;                      // nodes in this subtree with aliases expanded

  bool is_null() const { return kind == Kind::null; }
  bool is_scalar() const { return kind == Kind::scalar; }
  bool is_sequence() const { return kind == Kind::sequence; }
  bool is_mapping() const { return kind == Kind::mapping; }

  // The value under `key` in a mapping, or nullptr.
  const Value* find(std::string_view key) const;
  ValuePtr find_ptr(std::string_view key) const;
  // "a mapping", "a list", "a string", "null", used in type errors.
  std::string kind_name() const;
};

// A deep copy (merging must not edit a tree that an alias shares).
ValuePtr clone(const Value& v);

} // namespace gpucfg::yaml
