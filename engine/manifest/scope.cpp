#include "manifest/scope.hpp"

#include "util/strings.hpp"

namespace gpucfg::manifest {

namespace {
constexpr int k_max_depth = 8; // vars referring to vars; deeper means a cycle
}

void Scope::define(const std::string& name, std::string raw, util::Mark mark) {
  m_values[name] = {std::move(raw), std::move(mark)};
}

std::vector<std::string> Scope::names() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : m_values)
    out.push_back(k);
  return out;
}

std::string Scope::expand(const std::string& text, const util::Mark& at, bool quoted,
                          util::Diagnostics& diags) const {
  return expand_depth(text, at, quoted, diags, 0);
}

std::string Scope::expand_depth(const std::string& text, const util::Mark& at, bool quoted,
                                util::Diagnostics& diags, int depth) const {
  std::string out;
  bool single_line = text.find('\n') == std::string::npos;
  auto mark_of = [&](std::size_t offset) {
    util::Mark m = at;
    if (single_line && m.line > 0) m.col += static_cast<int>(offset) + (quoted ? 1 : 0);
    return m;
  };
  std::size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, 3, "$${") == 0) {
      out += "${";
      i += 3;
      continue;
    }
    if (text.compare(i, 2, "${") != 0) {
      out += text[i++];
      continue;
    }
    std::size_t close = text.find('}', i + 2);
    if (close == std::string::npos) {
      diags.error(mark_of(i), "unterminated '${' (write '$${' for a literal '${')");
      out += text.substr(i);
      break;
    }
    std::string name = util::trim(std::string_view(text).substr(i + 2, close - i - 2));
    auto it = m_values.find(name);
    if (it == m_values.end()) {
      diags.error(mark_of(i),
                  "undefined variable '${" + name + "}'" + util::did_you_mean(name, names()));
      out += text.substr(i, close + 1 - i);
    } else if (depth >= k_max_depth) {
      diags.error(it->second.mark,
                  "variable '" + name + "' refers to itself (directly or through others)");
      out += text.substr(i, close + 1 - i);
    } else {
      out += expand_depth(it->second.raw, it->second.mark, false, diags, depth + 1);
    }
    i = close + 1;
  }
  return out;
}

} // namespace gpucfg::manifest
