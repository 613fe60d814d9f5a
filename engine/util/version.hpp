// Dotted numeric versions ("11.2", "8.1.0.77", "460.27.03") and ranges (">=3.5,<9.0").
//
// Range semantics are prefix-aware, because that is what people mean when they write
// "gcc <=10" or "CUDA 11.2": a bound with fewer components than the version compares only the
// components it names. So `<=10` accepts 10.2, `>10` starts at 11, `==11.2` (or `11.2`, or
// `11.2.*`) accepts 11.2.2, and `<580` rejects 580.65.06.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gpucfg::util {

class Version {
public:
  Version() = default;
  explicit Version(std::vector<unsigned long> parts) : m_parts(std::move(parts)) {}

  // Accepts 1 to 5 dot-separated decimal components (leading zeros kept in text, e.g. "03").
  // Returns nullopt and sets *why on anything else.
  static std::optional<Version> parse(std::string_view text, std::string* why = nullptr);

  const std::vector<unsigned long>& parts() const { return m_parts; }
  std::size_t size() const { return m_parts.size(); }
  unsigned long part(std::size_t i) const { return i < m_parts.size() ? m_parts[i] : 0; }
  unsigned long major() const { return part(0); }
  unsigned long minor() const { return part(1); }
  const std::string& text() const { return m_text; }
  std::string str() const; // the text as written, or the parts joined by dots

  // The first n components ("11.2.2" -> 2 -> "11.2").
  Version truncated(std::size_t n) const;
  // Does this version start with all of prefix's components?
  bool has_prefix(const Version& prefix) const;

  // Plain comparison, missing components count as zero.
  friend int compare(const Version& a, const Version& b);
  friend bool operator<(const Version& a, const Version& b) { return compare(a, b) < 0; }
  friend bool operator<=(const Version& a, const Version& b) { return compare(a, b) <= 0; }
  friend bool operator>(const Version& a, const Version& b) { return compare(a, b) > 0; }
  friend bool operator>=(const Version& a, const Version& b) { return compare(a, b) >= 0; }
  friend bool operator==(const Version& a, const Version& b) { return compare(a, b) == 0; }
  friend bool operator!=(const Version& a, const Version& b) { return compare(a, b) != 0; }

private:
  std::vector<unsigned long> m_parts;
  std::string m_text;
};

class VersionRange {
public:
  enum class Op { ge, gt, le, lt, eq, ne };
  struct Clause {
    Op op;
    Version bound;
  };

  // "", "*" and "any" mean every version. Otherwise comma-separated clauses, each
  // `>=V`, `>V`, `<=V`, `<V`, `==V`, `=V`, `!=V`, `V` or `V.*`.
  static std::optional<VersionRange> parse(std::string_view text, std::string* why = nullptr);

  bool contains(const Version& v) const;
  bool is_any() const { return m_clauses.empty(); }
  const std::vector<Clause>& clauses() const { return m_clauses; }
  // The lowest version a `>=`/`>`/`==` clause admits, if any (e.g. the driver minimum).
  std::optional<Version> lower_bound() const;
  std::string str() const;

private:
  std::vector<Clause> m_clauses;
};

} // namespace gpucfg::util
