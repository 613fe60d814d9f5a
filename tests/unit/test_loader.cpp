#include "helpers.hpp"
#include "manifest/loader.hpp"

#include <catch2/catch.hpp>

using namespace gpucfg;
using test::TempDir;

TEST_CASE("extends merges bases first, then the file on top", "[loader]") {
  TempDir dir;
  dir.write("base.yaml", test::head("base") +
                             "cuda: {version: '11.2', components: [cudart, nvcc]}\n"
                             "files:\n  - {copy: /a, from: /x}\n  - {copy: /b, from: /y}\n"
                             "loader: {paths: [/l1, /l2]}\n"
                             "env: {PATH: {prepend: [/p1]}, KEEP: k}\n");
  std::string top = dir.write(
      "top.yaml", test::head("top") + "extends: base.yaml\n"
                                      "cuda: {components: [cudart]}\n"
                                      "files:\n  - {copy: /b, from: /z}\n  - {copy: /c, from: /w}\n"
                                      "loader: {paths: [/l2, /l3]}\n"
                                      "env: {PATH: {append: [/p2]}}\n");
  util::SourceSet s;
  util::Diagnostics d;
  auto loaded = manifest::load(top, s, d);
  REQUIRE(loaded.tree);
  CHECK(loaded.files.size() == 2);
  auto stack = manifest::decode(loaded, *platform::find("linux-x86_64"), d);
  REQUIRE(stack);
  CHECK(stack->metadata.name == "top");              // metadata is never inherited
  CHECK(stack->cuda->version.value.str() == "11.2"); // mappings merge key by key
  CHECK(stack->cuda->components.size() == 1);        // lists replace
  REQUIRE(stack->files.size() == 3);                 // files merge by path
  CHECK(stack->files[1].source.value == "/z");
  CHECK(stack->files[1].path.mark.file == top); // ...and keep their origin
  CHECK(stack->files[0].path.mark.file.find("base.yaml") != std::string::npos);
  CHECK(stack->loader_paths.size() == 3); // loader paths are a union
  REQUIRE(stack->env.size() == 2);
  const auto& path = stack->env[0].name == "PATH" ? stack->env[0] : stack->env[1];
  CHECK(path.prepend.empty()); // an env variable is replaced whole
  CHECK(path.append.size() == 1);
}

TEST_CASE("an overlay drops a base section with null", "[loader]") {
  TempDir dir;
  dir.write("base.yaml",
            test::head() + "cuda: {version: '12.2'}\ncudnn: {version: 8.9.7.29, into: cuda}\n");
  std::string top = dir.write("top.yaml", test::head() + "extends: [base.yaml]\ncudnn: null\n");
  util::SourceSet s;
  util::Diagnostics d;
  auto stack = manifest::decode(manifest::load(top, s, d), *platform::find("linux-x86_64"), d);
  REQUIRE(stack);
  CHECK_FALSE(stack->cudnn);
  CHECK(stack->cuda);
}

TEST_CASE("extends cycles are reported at the entry that closes them", "[loader]") {
  TempDir dir;
  dir.write("a.yaml", test::head() + "extends: b.yaml\n");
  dir.write("b.yaml", test::head() + "extends: [c.yaml]\n");
  std::string c = dir.write("c.yaml", test::head() + "extends: [a.yaml]\n");
  util::SourceSet s;
  util::Diagnostics d;
  auto loaded = manifest::load((dir.path() / "a.yaml").string(), s, d);
  CHECK_FALSE(loaded.tree);
  REQUIRE(d.error_count() == 1);
  CHECK(d.all()[0].message == "extends cycle: a.yaml -> b.yaml -> c.yaml -> a.yaml");
  CHECK(d.all()[0].mark.line == 4);
  CHECK(d.all()[0].mark.file.find("c.yaml") != std::string::npos);
}

TEST_CASE("a missing base is an error at its entry", "[loader]") {
  TempDir dir;
  std::string a = dir.write("a.yaml", test::head() + "extends:\n  - nowhere.yaml\n");
  util::SourceSet s;
  util::Diagnostics d;
  CHECK_FALSE(manifest::load(a, s, d).tree);
  CHECK(d.all()[0].mark.str() == a + ":5:5");
  CHECK(d.all()[0].message.find("no such file") != std::string::npos);
}
