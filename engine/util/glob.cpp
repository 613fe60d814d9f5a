#include "util/glob.hpp"

namespace gpucfg::util {
namespace {

// A class at pattern[p] (just after '['); sets *end past its ']'. False: no closing ']', and the
// '[' is then an ordinary character, as fnmatch treats it.
bool class_matches(std::string_view pattern, std::size_t p, char c, std::size_t* end, bool* hit) {
  bool negate = p < pattern.size() && (pattern[p] == '!' || pattern[p] == '^');
  if (negate) ++p;
  bool matched = false;
  for (bool first = true; p < pattern.size(); first = false) {
    char lo = pattern[p];
    if (lo == ']' && !first) {
      *end = p + 1;
      *hit = matched != negate;
      return true;
    }
    if (lo == '\\' && p + 1 < pattern.size()) lo = pattern[++p];
    char hi = lo;
    if (p + 2 < pattern.size() && pattern[p + 1] == '-' && pattern[p + 2] != ']') {
      hi = pattern[p + 2];
      if (hi == '\\' && p + 3 < pattern.size()) hi = pattern[++p + 2];
      p += 2;
    }
    if (lo <= c && c <= hi) matched = true;
    ++p;
  }
  return false;
}

} // namespace

bool glob_match(std::string_view pattern, std::string_view text, bool path) {
  // Iterative, with one backtrack point: the last '*' and where its run ended (linear, no
  // exponential blow-up on patterns like a*a*a*b).
  std::size_t p = 0, t = 0, star_p = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    char c = text[t];
    if (p < pattern.size()) {
      char pc = pattern[p];
      if (pc == '*') {
        star_p = ++p;
        star_t = t;
        continue;
      }
      if (pc == '?' && !(path && c == '/')) {
        ++p, ++t;
        continue;
      }
      if (pc == '[') {
        std::size_t end = 0;
        bool hit = false;
        if (class_matches(pattern, p + 1, c, &end, &hit)) {
          if (hit && !(path && c == '/')) {
            p = end, ++t;
            continue;
          }
        } else if (c == '[') {
          ++p, ++t;
          continue;
        }
      } else if (pc != '?') {
        if (pc == '\\' && p + 1 < pattern.size()) pc = pattern[p + 1], ++p;
        if (pc == c) {
          ++p, ++t;
          continue;
        }
      }
    }
    // Mismatch: let the last '*' take one more character (never a '/' under `path`).
    if (star_p == std::string_view::npos || (path && text[star_t] == '/')) return false;
    p = star_p;
    t = ++star_t;
  }
  while (p < pattern.size() && pattern[p] == '*')
    ++p;
  return p == pattern.size();
}

} // namespace gpucfg::util
