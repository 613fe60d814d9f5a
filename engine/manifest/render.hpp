// `gpucfg show`: the resolved manifest (extends merged, variables expanded, `when:` applied,
// defaults filled in) for review, as YAML with the origin of each value in a comment, or as JSON
// with an `origins` map from JSON pointer to file:line:col.
#pragma once

#include "manifest/model.hpp"

#include <nlohmann/json.hpp>
#include <string>

namespace gpucfg::manifest {

struct Rendered {
  nlohmann::ordered_json stack;               // the resolved manifest
  std::map<std::string, std::string> origins; // JSON pointer -> "file:line:col"
};

Rendered resolve_for_show(const Stack& s);
std::string to_yaml(const Rendered& r, bool with_origins);
nlohmann::ordered_json to_json(const Rendered& r);

} // namespace gpucfg::manifest
