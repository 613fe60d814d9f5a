#include "helpers.hpp"

#include <algorithm>
#include <catch2/catch.hpp>

using namespace gpucfg;
using test::kb;

static util::Version v(const char* s) {
  return *util::Version::parse(s);
}

TEST_CASE("driver minimums come from the data, with their source", "[knowledge]") {
  const auto* ga = kb().toolkit_driver(v("11.2"));
  REQUIRE(ga);
  CHECK(ga->linux->str() == "460.27.03");
  CHECK(ga->windows->str() == "460.82");
  CHECK(ga->source.url.find("nvidia.com") != std::string::npos);
  CHECK(kb().toolkit_driver(v("11.2.2"))->windows->str() == "461.33");
  CHECK(kb().toolkit_driver(v("11.0"))->label == "11.0.2 GA"); // the RC row is never chosen
  CHECK_FALSE(kb().toolkit_driver(v("13.0"))->windows);
  CHECK(kb().toolkit_driver(v("7.5")) == nullptr);
  CHECK(kb().minor_compat(12)->linux->str() == "525.60.13");
  CHECK(kb().minor_compat(12)->windows->str() == "525");
}

TEST_CASE("architectures, cuDNN builds and frameworks", "[knowledge]") {
  CHECK(kb().arch(v("3.5"))->removed->str() == "12.0");
  auto rows = kb().cudnn(v("8.1"));
  REQUIRE(rows.size() == 2); // 8.1.0.77 and 8.1.1.33
  CHECK(rows[0]->sha256.at("11.2") ==
        "dbe82faf071d91ba9bcf00480146ad33f462482dfee56caf4479c1b8dabe3ecb");
  CHECK(kb().cudnn(v("9.19.0.56")).front()->builds.size() == 2);
  // CUDA 12 builds go on past 9.21 (the package index's nvidia-cudnn-cu12 9.22-9.28).
  CHECK(kb().cudnn(v("9.24.0.43")).front()->builds.size() == 2);
  auto tf_cudnn = kb().cudnn(v("9.3.0.75"));
  REQUIRE_FALSE(tf_cudnn.empty());
  CHECK(tf_cudnn.front()->sha256.at("12") ==
        "3d6ef10aa06dc9339a477e2b057e085ff8500bbdee79e42c7e13655c9eff2c26");
  const auto* tf = kb().tensorflow(v("2.5"), "windows");
  REQUIRE(tf);
  CHECK(tf->compiler == "MSVC 2019");
  CHECK(tf->cuda.str() == "11.2");
  CHECK(kb().tensorflow(v("2.11"), "windows") == nullptr);
  REQUIRE(kb().platform_rule("tensorflow", v("2.16.1"), "windows-x86_64"));
  CHECK(kb().platform_rule("tensorflow", v("2.10"), "windows-x86_64") == nullptr);
  CHECK(kb().pytorch(v("2.5.1"))->variants.size() == 3);
  CHECK(kb().host_compilers(v("11.2"))->gcc.str() == "<=10");
  // nvcc 11.4.0 rejects gcc 11, 11.4.1 accepts it: a manifest's "11.4" means the GA.
  CHECK(kb().host_compilers(v("11.4"))->gcc.str() == "<=10");
  CHECK(kb().host_compilers(v("11.4.1"))->gcc.str() == "<=11");
  CHECK(kb().host_compilers(v("11.4.4"))->gcc.str() == "<=11");
  CHECK(kb().host_compilers(v("13.3"))->gcc.str() == "<=16");
  // The curated stack installs the newest patch; the table's release is kept beside it.
  CHECK(kb().tensorflow(v("2.16"), "linux")->tested_as.str() == "2.16.1");
}

TEST_CASE("the files of cuDNN's packages, by major and OS, with full sonames on Linux",
          "[knowledge]") {
  const auto* win = kb().cudnn_files(v("8.1.0.77"), "windows");
  REQUIRE(win);
  auto files = win->of(v("8.1.0.77"));
  for (const char* f : {"bin/cudnn64_8.dll", "include/cudnn.h", "lib/x64/cudnn.lib"})
    CHECK(std::count(files.begin(), files.end(), f) == 1);
  CHECK(std::is_sorted(files.begin(), files.end()));
  auto linux = kb().cudnn_files(v("9.3.0.75"), "linux")->of(v("9.3.0.75"));
  CHECK(std::count(linux.begin(), linux.end(), "lib/libcudnn_graph.so.9") == 1);
  CHECK(std::count(linux.begin(), linux.end(), "lib/libcudnn_graph.so.9.3.0") == 1);
  // "8.1" names no patch: only the major soname is known.
  auto short_version = kb().cudnn_files(v("8.1"), "linux")->of(v("8.1"));
  CHECK(std::count(short_version.begin(), short_version.end(), "lib/libcudnn.so.8") == 1);
  CHECK(std::none_of(short_version.begin(), short_version.end(),
                     [](const std::string& f) { return f.rfind("lib/libcudnn.so.8.", 0) == 0; }));
  CHECK(kb().cudnn_files(v("7.6.5"), "linux") == nullptr); // not known: the plan lists rules only
}

TEST_CASE("every knowledge row cites a known source", "[knowledge]") {
  for (const auto& a : kb().archs())
    CHECK_FALSE(a.source.title.empty());
  for (const auto& t : kb().tensorflow_builds())
    CHECK(t.source.id.rfind("tf-", 0) == 0);
  for (const auto& p : kb().pytorch_releases())
    CHECK_FALSE(p.source.url.empty());
}

TEST_CASE("broken knowledge data is reported, not trusted", "[knowledge]") {
  test::TempDir dir;
  dir.write("knowledge/sources.yaml", "sources:\n  s: {title: t, url: u, status: confirmed}\n");
  dir.write("knowledge/cuda-driver.yaml",
            "toolkit_driver:\n  - {cuda: 11.x, label: l, linux: 1, source: s}\n"
            "minor_version_compat: []\n");
  util::SourceSet s;
  util::Diagnostics d;
  CHECK_FALSE(knowledge::Knowledge::load(dir.path().string(), s, d));
  CHECK(d.render(s).find("bad version in knowledge data") != std::string::npos);
  CHECK(d.render(s).find("cuda-arch.yaml: error: no such file") != std::string::npos);
}
