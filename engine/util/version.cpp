#include "util/version.hpp"

#include "util/strings.hpp"

#include <cctype>

namespace gpucfg::util {

std::optional<Version> Version::parse(std::string_view text, std::string* why) {
  auto fail = [&](const std::string& w) -> std::optional<Version> {
    if (why) *why = w;
    return std::nullopt;
  };
  if (text.empty()) return fail("empty version");
  std::vector<unsigned long> parts;
  for (const std::string& p : split(text, '.')) {
    if (p.empty()) return fail("empty component in version '" + std::string(text) + "'");
    if (p.size() > 9) return fail("component '" + p + "' is too long");
    for (char c : p)
      if (!std::isdigit(static_cast<unsigned char>(c)))
        return fail("'" + std::string(text) +
                    "' is not a dotted numeric version (like 11.2 or 8.1.0.77)");
    parts.push_back(std::stoul(p));
  }
  if (parts.size() > 5) return fail("'" + std::string(text) + "' has more than 5 components");
  Version v(std::move(parts));
  v.m_text = std::string(text);
  return v;
}

std::string Version::str() const {
  if (!m_text.empty()) return m_text;
  std::string s;
  for (std::size_t i = 0; i < m_parts.size(); ++i)
    s += (i ? "." : "") + std::to_string(m_parts[i]);
  return s;
}

Version Version::truncated(std::size_t n) const {
  std::vector<unsigned long> p(m_parts.begin(),
                               m_parts.begin() + static_cast<long>(std::min(n, m_parts.size())));
  return Version(std::move(p));
}

bool Version::has_prefix(const Version& prefix) const {
  if (prefix.size() > size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (m_parts[i] != prefix.m_parts[i]) return false;
  return true;
}

int compare(const Version& a, const Version& b) {
  std::size_t n = std::max(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (a.part(i) < b.part(i)) return -1;
    if (a.part(i) > b.part(i)) return 1;
  }
  return 0;
}

std::optional<VersionRange> VersionRange::parse(std::string_view text, std::string* why) {
  VersionRange r;
  std::string all = trim(text);
  if (all.empty() || all == "*" || all == "any") return r;
  for (std::string clause : split(all, ',')) {
    clause = trim(clause);
    Op op = Op::eq;
    static const std::pair<const char*, Op> ops[] = {{">=", Op::ge}, {"<=", Op::le}, {"==", Op::eq},
                                                     {"!=", Op::ne}, {">", Op::gt},  {"<", Op::lt},
                                                     {"=", Op::eq}};
    for (const auto& [tok, o] : ops) {
      if (starts_with(clause, tok)) {
        op = o;
        clause = trim(clause.substr(std::string_view(tok).size()));
        break;
      }
    }
    if (ends_with(clause, ".*")) {
      if (op != Op::eq && op != Op::ne) {
        if (why) *why = "a wildcard only goes with == or !=: '" + std::string(text) + "'";
        return std::nullopt;
      }
      clause.resize(clause.size() - 2);
    }
    std::string inner;
    auto v = Version::parse(clause, &inner);
    if (!v) {
      if (why) *why = "bad range '" + std::string(text) + "': " + inner;
      return std::nullopt;
    }
    r.m_clauses.push_back({op, *v});
  }
  return r;
}

bool VersionRange::contains(const Version& v) const {
  for (const auto& c : m_clauses) {
    // Compare only as many components as the bound names (see the header).
    int cmp = compare(v.truncated(c.bound.size()), c.bound);
    bool ok = true;
    switch (c.op) {
    case Op::ge:
      ok = cmp >= 0;
      break;
    case Op::gt:
      ok = cmp > 0;
      break;
    case Op::le:
      ok = cmp <= 0;
      break;
    case Op::lt:
      ok = cmp < 0;
      break;
    case Op::eq:
      ok = cmp == 0;
      break;
    case Op::ne:
      ok = cmp != 0;
      break;
    }
    if (!ok) return false;
  }
  return true;
}

std::optional<Version> VersionRange::lower_bound() const {
  std::optional<Version> best;
  for (const auto& c : m_clauses)
    if (c.op == Op::ge || c.op == Op::eq || c.op == Op::gt)
      if (!best || c.bound > *best) best = c.bound;
  return best;
}

std::string VersionRange::str() const {
  if (m_clauses.empty()) return "any";
  std::vector<std::string> out;
  for (const auto& c : m_clauses) {
    static const char* names[] = {">=", ">", "<=", "<", "==", "!="};
    out.push_back(names[static_cast<int>(c.op)] + c.bound.str());
  }
  return join(out, ",");
}

} // namespace gpucfg::util
