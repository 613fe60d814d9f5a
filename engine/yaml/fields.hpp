// Reading a mapping field by field. Each key the decoder asks for is remembered, so that at
// the end every other key is reported as unknown, with a "did you mean" for typos:
//   cuda.yaml:4:3: error: unknown key 'verion' in cuda; did you mean 'version'?
#pragma once

#include "util/diagnostic.hpp"
#include "yaml/value.hpp"

#include <optional>
#include <string>
#include <vector>

namespace gpucfg::yaml {

class Fields {
public:
  // `where` names the mapping in messages ("cuda", "files[2]"). A non-mapping `v` is reported
  // once and then behaves as an empty mapping.
  Fields(const Value& v, std::string where, util::Diagnostics& diags);
  ~Fields(); // reports unknown keys (call done() to do it earlier)

  const Value* get(const std::string& key);
  // Like get, but a missing key is an error.
  const Value* require(const std::string& key);
  // Marks keys as known without reading them (handled elsewhere, e.g. `extends`).
  void allow(std::initializer_list<const char*> keys);
  void done();

  const std::string& where() const { return m_where; }
  const Value& value() const { return m_value; }
  bool ok() const { return m_ok; }

private:
  const Value& m_value;
  std::string m_where;
  util::Diagnostics& m_diags;
  std::vector<std::string> m_known;
  bool m_ok = true;
  bool m_done = false;
};

// A scalar's text, or an error ("`what` must be a string, not a mapping") and nullopt.
std::optional<std::string> scalar_text(const Value& v, const std::string& what,
                                       util::Diagnostics& diags);
// A plain `true`/`false` (quoted strings are not booleans).
std::optional<bool> boolean(const Value& v, const std::string& what, util::Diagnostics& diags);
// One scalar or a list of scalars.
std::vector<const Value*> scalar_list(const Value& v, const std::string& what,
                                      util::Diagnostics& diags);

} // namespace gpucfg::yaml
