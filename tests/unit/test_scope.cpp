#include "manifest/scope.hpp"

#include <catch2/catch.hpp>

using namespace gpucfg;

TEST_CASE("variables expand, nest and escape", "[scope]") {
  manifest::Scope s;
  s.define("cuda.prefix", "/usr/local/cuda-11.2");
  s.define("mirror", "https://mirror/${cuda.prefix}");
  util::Diagnostics d;
  CHECK(s.expand("${cuda.prefix}/bin", {"m", 1, 1}, false, d) == "/usr/local/cuda-11.2/bin");
  CHECK(s.expand("${mirror}/x", {"m", 1, 1}, false, d) == "https://mirror//usr/local/cuda-11.2/x");
  CHECK(s.expand("$${literal}", {"m", 1, 1}, false, d) == "${literal}");
  CHECK_FALSE(d.has_errors());
}

TEST_CASE("an undefined variable is an error at its column, with a suggestion", "[scope]") {
  manifest::Scope s;
  s.define("cuda.prefix", "/p");
  util::Diagnostics d;
  s.expand("${cuda.prefix}/${cuda.prefx}/bin", {"m.yaml", 3, 10}, true, d);
  REQUIRE(d.error_count() == 1);
  CHECK(d.all()[0].mark.str() == "m.yaml:3:26");
  CHECK(d.all()[0].message == "undefined variable '${cuda.prefx}'; did you mean 'cuda.prefix'?");
}

TEST_CASE("self-referring variables stop", "[scope]") {
  manifest::Scope s;
  s.define("a", "${b}", {"m", 1, 1});
  s.define("b", "${a}", {"m", 2, 1});
  util::Diagnostics d;
  s.expand("${a}", {"m", 5, 1}, false, d);
  CHECK(d.has_errors());
  CHECK(d.all()[0].message.find("refers to itself") != std::string::npos);
}

TEST_CASE("an unterminated reference is an error", "[scope]") {
  manifest::Scope s;
  util::Diagnostics d;
  s.expand("x${oops", {"m", 1, 1}, false, d);
  CHECK(d.all()[0].message.find("unterminated") != std::string::npos);
  CHECK(d.all()[0].mark.col == 2);
}
