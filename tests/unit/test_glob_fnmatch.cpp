// util::glob_match against the C library's fnmatch(3) on many generated patterns and names
// (Linux only: Windows has no fnmatch, which is why glob_match exists).
#include "util/glob.hpp"

#include <catch2/catch.hpp>
#include <fnmatch.h>
#include <random>
#include <string>

TEST_CASE("glob: agrees with fnmatch on generated cases") {
  std::mt19937 rng(20261127);
  const std::string pattern_chars = "ab/*?[]!-\\.", text_chars = "ab/.-[]*";
  auto pick = [&](const std::string& from, int n) {
    std::string s;
    for (int i = std::uniform_int_distribution<int>(0, n)(rng); i > 0; --i)
      s += from[std::uniform_int_distribution<std::size_t>(0, from.size() - 1)(rng)];
    return s;
  };
  int compared = 0;
  for (int i = 0; i < 200000; ++i) {
    std::string p = pick(pattern_chars, 7), t = pick(text_chars, 7);
    for (bool path : {false, true}) {
      // glibc's one quirk we do not copy: under FNM_PATHNAME an escaped "\\/" matches no '/'.
      if (path && p.find("\\/") != std::string::npos) continue;
      bool want = ::fnmatch(p.c_str(), t.c_str(), path ? FNM_PATHNAME : 0) == 0;
      INFO("pattern '" << p << "' text '" << t << "' path " << path);
      REQUIRE(gpucfg::util::glob_match(p, t, path) == want);
      ++compared;
    }
  }
  CHECK(compared > 380000);
}
