#include "yaml/reader.hpp"

#include <catch2/catch.hpp>
#include <chrono>

using namespace gpucfg;

namespace {
struct Read {
  yaml::ValuePtr root;
  util::Diagnostics diags;
  std::string first() const {
    return diags.all().empty() ? "" : diags.all()[0].mark.str() + " " + diags.all()[0].message;
  }
};
Read read(const std::string& text, yaml::ReadLimits limits = {}) {
  Read r;
  r.root = yaml::read_yaml("m.yaml", text, r.diags, limits);
  return r;
}
} // namespace

TEST_CASE("every node keeps its line and column", "[reader]") {
  auto r = read("a: 1\nb:\n  c: [x, 'y']\n");
  REQUIRE(r.root);
  const auto* b = r.root->find("b");
  REQUIRE(b);
  const auto* c = b->find("c");
  REQUIRE(c);
  CHECK(c->mark.line == 3);
  CHECK(c->mark.col == 6);
  CHECK(c->items[1]->mark.col == 10);
  CHECK(c->items[1]->quoted);
  CHECK_FALSE(c->items[0]->quoted);
}

TEST_CASE("duplicate keys are refused at the second one", "[reader]") {
  auto r = read("cuda:\n  version: '11.2'\n  version: '12.0'\n");
  CHECK_FALSE(r.root);
  CHECK(r.first() == "m.yaml:3:3 duplicate key 'version'");
  CHECK(r.diags.all()[0].notes[0].find("line 2") != std::string::npos);
}

TEST_CASE("a billion laughs stops at the node budget", "[reader][hostile]") {
  std::string text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'j'; ++c) {
    std::string prev(1, static_cast<char>(c - 1));
    text += std::string(1, c) + ": &" + c + " [*" + prev + ", *" + prev + ", *" + prev + ", *" +
            prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev +
            ", *" + prev + "]\n";
  }
  auto t0 = std::chrono::steady_clock::now();
  auto r = read(text);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  CHECK_FALSE(r.root);
  CHECK(r.first().find("expands to more than 100000 nodes") != std::string::npos);
  CHECK(ms < 1000);
}

TEST_CASE("small aliases are fine", "[reader]") {
  auto r = read("a: &p [x, y]\nb: *p\n");
  REQUIRE(r.root);
  CHECK(r.root->find("b")->items.size() == 2);
}

TEST_CASE("deep nesting is refused, not recursed into", "[reader][hostile]") {
  auto r = read(std::string(100000, '[') + std::string(100000, ']'));
  CHECK_FALSE(r.root);
  CHECK(r.first().find("nesting deeper than 64") != std::string::npos);
}

TEST_CASE("NUL bytes, bad UTF-8 and oversize files are refused with a position",
          "[reader][hostile]") {
  auto nul = read(std::string("a: 1\nb: x\0y\n", 12));
  CHECK(nul.first() == "m.yaml:2:5 NUL byte in a manifest (is this a binary file?)");
  auto bad = read("a: 1\nname: caf\xC3\n");
  CHECK(bad.first() == "m.yaml:2:10 invalid UTF-8; manifests must be UTF-8 text");
  auto overlong = read("a: \xC0\xAF\n");
  CHECK(overlong.first().find("invalid UTF-8") != std::string::npos);
  auto surrogate = read("a: \xED\xA0\x80\n");
  CHECK(surrogate.first().find("invalid UTF-8") != std::string::npos);
  auto good = read("a: caf\xC3\xA9 \xF0\x9F\x98\x80\n");
  CHECK(good.root);
  yaml::ReadLimits small;
  small.max_bytes = 10;
  auto big = read("a: 123456789012\n", small);
  CHECK(big.first().find("larger than the 10-byte limit") != std::string::npos);
}

TEST_CASE("tags, complex keys and extra documents are refused", "[reader]") {
  CHECK(read("a: !!python/object x\n").first().find("YAML tags") != std::string::npos);
  CHECK(read("? [a, b]\n: 1\n").first().find("mapping keys must be plain strings") !=
        std::string::npos);
  CHECK(read("a: 1\n---\nb: 2\n").first().find("exactly one YAML document") != std::string::npos);
}

TEST_CASE("syntax errors carry yaml-cpp's position", "[reader]") {
  auto r = read("a: [1, 2\nb: 3\n");
  CHECK_FALSE(r.root);
  CHECK(r.first().find("YAML syntax") != std::string::npos);
  CHECK(r.diags.all()[0].mark.line >= 1);
}

TEST_CASE("diagnostics render the line and a caret", "[reader]") {
  util::SourceSet sources;
  sources.add("m.yaml", "a: 1\n  verion: x\n");
  util::Diagnostics d;
  d.error({"m.yaml", 2, 3}, "unknown key 'verion'");
  CHECK(d.render(sources) ==
        "m.yaml:2:3: error: unknown key 'verion'\n 2 |   verion: x\n   |   ^\n");
}
