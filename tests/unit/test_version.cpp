#include "util/version.hpp"

#include <catch2/catch.hpp>

using gpucfg::util::Version;
using gpucfg::util::VersionRange;

static Version v(const char* s) {
  return *Version::parse(s);
}
static VersionRange r(const char* s) {
  return *VersionRange::parse(s);
}

TEST_CASE("versions parse and compare numerically", "[version]") {
  CHECK(v("11.10") > v("11.9"));
  CHECK(v("460.27.03") < v("460.32.03"));
  CHECK(v("8.1") == v("8.1.0"));
  CHECK(v("8.1.0.77").size() == 4);
  CHECK(v("460.27.03").str() == "460.27.03"); // the text keeps its leading zero
  std::string why;
  CHECK_FALSE(Version::parse("11.x", &why));
  CHECK(why.find("dotted numeric") != std::string::npos);
  CHECK_FALSE(Version::parse("", &why));
  CHECK_FALSE(Version::parse("1..2", &why));
  CHECK_FALSE(Version::parse("1.2.3.4.5.6", &why));
  CHECK_FALSE(Version::parse("12345678901", &why));
}

TEST_CASE("ranges compare only the components a bound names", "[version]") {
  CHECK(r("<=10").contains(v("10.2.1")));
  CHECK_FALSE(r(">10").contains(v("10.2")));
  CHECK(r(">10").contains(v("11")));
  CHECK(r("11.2").contains(v("11.2.2")));
  CHECK(r("11.2.*").contains(v("11.2.2")));
  CHECK_FALSE(r("11.2").contains(v("11.3")));
  CHECK_FALSE(r("<580").contains(v("580.65.06")));
  CHECK(r(">=3.5,<9.0").contains(v("8.6")));
  CHECK_FALSE(r(">=3.5,<9.0").contains(v("9.0")));
  CHECK(r("!=2019").contains(v("2022")));
  CHECK(r("").is_any());
  CHECK(r("any").contains(v("1")));
}

TEST_CASE("bad ranges say why", "[version]") {
  std::string why;
  CHECK_FALSE(VersionRange::parse(">=abc", &why));
  CHECK(why.find(">=abc") != std::string::npos);
  CHECK_FALSE(VersionRange::parse(">=11.*", &why));
  CHECK(why.find("wildcard") != std::string::npos);
  CHECK_FALSE(VersionRange::parse(">=1,,<2", &why));
}

TEST_CASE("lower bound of a range", "[version]") {
  CHECK(r(">=460.27.03").lower_bound()->str() == "460.27.03");
  CHECK(r(">=3.5,>=5.0").lower_bound()->str() == "5.0");
  CHECK_FALSE(r("<=10").lower_bound());
}
