// The parse cache (yaml/cache.hpp): a tree read back from it is the tree the parser built, marks
// included; an edited file is parsed again; a damaged entry is ignored; a file with errors is
// never kept.
#include "helpers.hpp"
#include "yaml/cache.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

using namespace gpucfg;

namespace {
// Every node's kind, text, quoting, size and position, depth first.
void flatten(const yaml::Value& v, std::vector<std::string>& out) {
  out.push_back(std::to_string(static_cast<int>(v.kind)) + "|" + v.scalar + "|" +
                (v.quoted ? "q" : "") + "|" + std::to_string(v.expanded_size) + "|" + v.mark.str());
  for (const auto& i : v.items)
    flatten(*i, out);
  for (const auto& [k, val] : v.entries) {
    flatten(*k, out);
    flatten(*val, out);
  }
}
std::vector<std::string> flat(const yaml::Value& v) {
  std::vector<std::string> out;
  flatten(v, out);
  return out;
}
void write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}
std::size_t entries(const std::string& dir) {
  std::error_code ec;
  std::size_t n = 0;
  for (std::filesystem::directory_iterator it(dir + "/yaml", ec), end; !ec && it != end; ++it)
    ++n;
  return n;
}
} // namespace

TEST_CASE("yaml cache: what is read back is what was parsed, marks included") {
  test::TempDir dir;
  std::string file = (dir.path() / "k.yaml").string(), cache = (dir.path() / "c").string();
  write(file, "rows:\n  - {cuda: \"11.10\", ok: true, list: [a, 'b']}\n  - cuda: 12.3\n"
              "    note: |\n      two\n      lines\nempty:\nanchor: &x {k: v}\nuse: *x\n");
  util::SourceSet sources;
  util::Diagnostics diags;
  auto parsed = yaml::read_yaml_file(file, sources, diags);
  REQUIRE(parsed);
  auto first = yaml::read_yaml_file_cached(file, cache, sources, diags); // parses, keeps
  REQUIRE(first);
  CHECK(entries(cache) == 1);
  auto second = yaml::read_yaml_file_cached(file, cache, sources, diags); // from the cache
  REQUIRE(second);
  CHECK(flat(*second) == flat(*parsed));
  CHECK(flat(*first) == flat(*parsed));
  CHECK(second->find("rows")->items[0]->find("cuda")->quoted);
  CHECK(second->find("rows")->items[1]->find("cuda")->mark.str() == file + ":3:11");
  CHECK(diags.error_count() == 0);
}

TEST_CASE("yaml cache: an edited file is parsed again; a damaged entry is parsed around") {
  test::TempDir dir;
  std::string file = (dir.path() / "k.yaml").string(), cache = (dir.path() / "c").string();
  util::SourceSet sources;
  util::Diagnostics diags;
  write(file, "a: 1\n");
  REQUIRE(yaml::read_yaml_file_cached(file, cache, sources, diags));
  write(file, "a: 2\n"); // same size: only the text tells
  auto v = yaml::read_yaml_file_cached(file, cache, sources, diags);
  REQUIRE(v);
  CHECK(v->find("a")->scalar == "2");
  CHECK(entries(cache) == 2);
  for (std::filesystem::directory_iterator it(cache + "/yaml"), end; it != end; ++it)
    write(it->path().string(), "gpucfg-yaml-1\n\x03\x00\xff"); // truncated, nonsense
  v = yaml::read_yaml_file_cached(file, cache, sources, diags);
  REQUIRE(v);
  CHECK(v->find("a")->scalar == "2");
  CHECK(yaml::decode("gpucfg-yaml-1\n\x03", file) == nullptr);
  CHECK(yaml::decode("something else", file) == nullptr);
}

TEST_CASE("yaml cache: a file with errors is reported each time and never kept") {
  test::TempDir dir;
  std::string file = (dir.path() / "k.yaml").string(), cache = (dir.path() / "c").string();
  write(file, "a: 1\na: 2\n"); // a duplicate key
  util::SourceSet sources;
  util::Diagnostics diags;
  CHECK_FALSE(yaml::read_yaml_file_cached(file, cache, sources, diags));
  CHECK(diags.error_count() > 0);
  // Again, into the same diagnostics (which keep one copy of a message): still refused.
  CHECK_FALSE(yaml::read_yaml_file_cached(file, cache, sources, diags));
  util::Diagnostics fresh;
  CHECK_FALSE(yaml::read_yaml_file_cached(file, cache, sources, fresh));
  CHECK(fresh.error_count() > 0);
  CHECK(entries(cache) == 0);
}
