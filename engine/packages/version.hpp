// Debian package versions, ordered as dpkg orders them ([epoch:]upstream[-revision], '~' before
// anything, letters before other symbols), and the ranges a manifest writes for a package:
// "2.0-1" (exactly), "535.*" (that upstream prefix), ">= 535, << 536" (every clause holds).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace gpucfg::packages {

// <0, 0, >0 as dpkg --compare-versions a lt/eq/gt b.
int compare_versions(const std::string& a, const std::string& b);

// Whether `v` is a version dpkg would accept (an upstream part that starts with a digit; the
// characters Debian policy allows). "" when it is; else why not.
std::string version_problem(const std::string& v);

// The upstream part alone: "4:12.2.0-3" -> "12.2.0", "535.216.01-1~deb12u1" -> "535.216.01"
// (what the program itself reports, and what a manifest's requires ranges are written in).
std::string upstream_version(const std::string& v);

class VersionSpec {
public:
  // nullopt with *error for text that is not a range ("1.0 <<", ">= x").
  static std::optional<VersionSpec> parse(const std::string& text, std::string* error);
  bool matches(const std::string& version) const;
  bool any() const { return m_clauses.empty(); }
  // The version it names exactly ("= 2.0-1" or "2.0-1"); "" for a range.
  std::string exact() const;
  const std::string& text() const { return m_text; }

private:
  struct Clause {
    std::string op; // = >= <= >> << or "prefix"
    std::string version;
  };
  std::vector<Clause> m_clauses;
  std::string m_text;
};

} // namespace gpucfg::packages
