// Variables: `${name}` in any string of a manifest. Names with a dot are provided by gpucfg
// (`${cuda.prefix}`, `${platform.id}`, …); plain names come from the manifest's `vars:`.
// `$${` writes a literal `${`. An undefined name is an error at its position, with a
// "did you mean" when a defined name is close.
#pragma once

#include "util/diagnostic.hpp"

#include <map>
#include <string>
#include <vector>

namespace gpucfg::manifest {

class Scope {
public:
  // Defines or redefines a name. `raw` may itself hold `${…}`, expanded on use.
  void define(const std::string& name, std::string raw, util::Mark mark = {});
  bool defined(const std::string& name) const { return m_values.count(name) != 0; }
  std::vector<std::string> names() const;

  // Expands every `${…}` in `text`. `at` is where the text starts in its file; `quoted` says
  // the scalar was quoted, so columns in messages land on the `$`. On error the diagnostic is
  // recorded and the unexpanded reference is left in the result.
  std::string expand(const std::string& text, const util::Mark& at, bool quoted,
                     util::Diagnostics& diags) const;

private:
  std::string expand_depth(const std::string& text, const util::Mark& at, bool quoted,
                           util::Diagnostics& diags, int depth) const;
  struct Entry {
    std::string raw;
    util::Mark mark;
  };
  std::map<std::string, Entry> m_values;
};

} // namespace gpucfg::manifest
