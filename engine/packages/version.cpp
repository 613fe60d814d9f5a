#include "packages/version.hpp"

#include "util/strings.hpp"

#include <cctype>

namespace gpucfg::packages {
namespace {

struct Parts {
  long epoch = 0;
  std::string upstream, revision;
};

Parts split(const std::string& v) {
  Parts p;
  std::string rest = v;
  if (auto colon = rest.find(':'); colon != std::string::npos) {
    p.epoch = std::strtol(rest.substr(0, colon).c_str(), nullptr, 10);
    rest = rest.substr(colon + 1);
  }
  if (auto dash = rest.rfind('-'); dash != std::string::npos) {
    p.revision = rest.substr(dash + 1);
    rest = rest.substr(0, dash);
  }
  p.upstream = rest;
  return p;
}

// dpkg's lib/dpkg/version.c: digits weigh nothing here, letters their code, '~' less than the
// end of the string, every other symbol more than any letter.
int order(char c) {
  if (std::isdigit(static_cast<unsigned char>(c))) return 0;
  if (std::isalpha(static_cast<unsigned char>(c))) return c;
  if (c == '~') return -1;
  if (c) return c + 256;
  return 0;
}

int verrevcmp(const std::string& as, const std::string& bs) {
  const char* a = as.c_str();
  const char* b = bs.c_str();
  auto digit = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; };
  while (*a || *b) {
    int first_diff = 0;
    while ((*a && !digit(*a)) || (*b && !digit(*b))) {
      int ac = order(*a), bc = order(*b);
      if (ac != bc) return ac - bc;
      if (*a) ++a;
      if (*b) ++b;
    }
    while (*a == '0')
      ++a;
    while (*b == '0')
      ++b;
    while (digit(*a) && digit(*b)) {
      if (!first_diff) first_diff = *a - *b;
      ++a, ++b;
    }
    if (digit(*a)) return 1;
    if (digit(*b)) return -1;
    if (first_diff) return first_diff;
  }
  return 0;
}

} // namespace

int compare_versions(const std::string& a, const std::string& b) {
  Parts x = split(a), y = split(b);
  if (x.epoch != y.epoch) return x.epoch < y.epoch ? -1 : 1;
  if (int c = verrevcmp(x.upstream, y.upstream)) return c;
  return verrevcmp(x.revision, y.revision);
}

std::string upstream_version(const std::string& v) {
  std::string rest = v;
  if (auto colon = rest.find(':'); colon != std::string::npos) rest = rest.substr(colon + 1);
  if (auto dash = rest.rfind('-'); dash != std::string::npos) rest = rest.substr(0, dash);
  return rest;
}

std::string version_problem(const std::string& v) {
  if (v.empty()) return "an empty version";
  std::string rest = v;
  if (auto colon = rest.find(':'); colon != std::string::npos) {
    std::string epoch = rest.substr(0, colon);
    if (epoch.empty() || epoch.find_first_not_of("0123456789") != std::string::npos)
      return "the epoch before ':' must be a number";
    rest = rest.substr(colon + 1);
  }
  if (rest.empty() || !std::isdigit(static_cast<unsigned char>(rest[0])))
    return "a Debian version starts with a digit (after any epoch)";
  for (char c : rest)
    if (!std::isalnum(static_cast<unsigned char>(c)) &&
        std::string(".+-~:").find(c) == std::string::npos)
      return std::string("'") + c + "' is not allowed in a Debian version";
  return "";
}

std::optional<VersionSpec> VersionSpec::parse(const std::string& text, std::string* error) {
  VersionSpec s;
  s.m_text = util::trim(text);
  if (s.m_text.empty() || s.m_text == "*") return s;
  for (const auto& raw : util::split(s.m_text, ',')) {
    std::string c = util::trim(raw);
    Clause cl;
    for (const char* op : {">=", "<=", ">>", "<<", "=", ">", "<"})
      if (util::starts_with(c, op)) {
        cl.op = op;
        c = util::trim(c.substr(cl.op.size()));
        break;
      }
    // dpkg's own spelling is >> and <<; a lone > or < means the same here (apt's tools warn).
    if (cl.op == ">") cl.op = ">>";
    if (cl.op == "<") cl.op = "<<";
    if (cl.op.empty()) cl.op = "=";
    if (cl.op == "=" && util::ends_with(c, ".*")) {
      cl.op = "prefix";
      c = c.substr(0, c.size() - 1); // "535." : the upstream must start with it
    }
    std::string bad = version_problem(cl.op == "prefix" ? c + "0" : c);
    if (!bad.empty()) {
      *error = "'" + util::trim(raw) + "': " + bad +
               " (write a version, 'N.*', or clauses such as '>= 535, << 536')";
      return std::nullopt;
    }
    cl.version = c;
    s.m_clauses.push_back(cl);
  }
  return s;
}

bool VersionSpec::matches(const std::string& v) const {
  for (const auto& c : m_clauses) {
    if (c.op == "prefix") {
      std::string up = split(v).upstream;
      std::string want = split(c.version).upstream;
      if (!util::starts_with(up, want) || split(v).epoch != split(c.version).epoch) return false;
      continue;
    }
    int r = compare_versions(v, c.version);
    bool ok = c.op == "="    ? r == 0
              : c.op == ">=" ? r >= 0
              : c.op == "<=" ? r <= 0
              : c.op == ">>" ? r > 0
                             : r < 0;
    if (!ok) return false;
  }
  return true;
}

std::string VersionSpec::exact() const {
  return m_clauses.size() == 1 && m_clauses[0].op == "=" ? m_clauses[0].version : "";
}

} // namespace gpucfg::packages
