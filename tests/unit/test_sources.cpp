// Pure parts of the sources work: NVIDIA's redistrib indexes (the real files), archive entry
// names, and where each layout's entries land.
#include "source/layout.hpp"
#include "source/redistrib.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <sstream>

using namespace gpucfg::source;

namespace {
std::string fixture(const std::string& name) {
  std::ifstream in(std::string(GPUCFG_SOURCE_DIR) + "/tests/fixtures/redistrib/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
} // namespace

TEST_CASE("CUDA 11.8 redistrib: components, platforms, pins") {
  std::string err;
  auto r = parse_redistrib(fixture("redistrib_11.8.0.json"), &err);
  REQUIRE(r);
  const auto* nvcc = find_component(*r, "cuda_nvcc");
  REQUIRE(nvcc);
  CHECK(nvcc->version == "11.8.89");
  auto a = select_archive(*nvcc, "linux-x86_64", "11", &err);
  REQUIRE(a);
  CHECK(a->relative_path == "cuda_nvcc/linux-x86_64/cuda_nvcc-linux-x86_64-11.8.89-archive.tar.xz");
  CHECK(a->sha256 == "7ee8450dbcc16e9fe5d2a7b567d6dec220c5894a94ac6640459e06231e3b39a5");
  CHECK(a->size == 43230952); // a string in the file
  CHECK_FALSE(select_archive(*nvcc, "linux-riscv", "11", &err));
  CHECK(err.find("linux-sbsa") != std::string::npos); // says which platforms there are
}

TEST_CASE("cuDNN 8.9.7 redistrib: one archive per platform, no variants") {
  std::string err;
  auto r = parse_redistrib(fixture("redistrib_8.9.7.29.json"), &err);
  REQUIRE(r);
  const auto* c = find_component(*r, "cudnn");
  REQUIRE(c);
  CHECK(c->cuda_variants.empty());
  auto win = select_archive(*c, "windows-x86_64", "12", &err);
  REQUIRE(win);
  CHECK(win->relative_path.find(".zip") != std::string::npos);
}

TEST_CASE("cuDNN 9.3 redistrib: the cuda_variant is chosen by the CUDA major") {
  std::string err;
  auto r = parse_redistrib(fixture("redistrib_9.3.0.json"), &err);
  REQUIRE(r);
  const auto* c = find_component(*r, "cudnn");
  REQUIRE(c);
  CHECK(c->cuda_variants == std::vector<std::string>{"11", "12"});
  auto a12 = select_archive(*c, "linux-x86_64", "12", &err);
  REQUIRE(a12);
  CHECK(a12->relative_path.find("_cuda12-archive") != std::string::npos);
  CHECK(a12->sha256 == "3d6ef10aa06dc9339a477e2b057e085ff8500bbdee79e42c7e13655c9eff2c26");
  auto a11 = select_archive(*c, "linux-x86_64", "11", &err);
  REQUIRE(a11);
  CHECK(a11->relative_path.find("_cuda11-archive") != std::string::npos);
  CHECK_FALSE(select_archive(*c, "linux-x86_64", "13", &err));
  CHECK(err.find("cuda11, cuda12") != std::string::npos);
}

TEST_CASE("Not an index") {
  std::string err;
  CHECK_FALSE(parse_redistrib("[1,2]", &err));
  CHECK_FALSE(parse_redistrib("{\"release_date\": \"x\"}", &err));
  CHECK(err.find("no components") != std::string::npos);
}

TEST_CASE("Entry names: what is refused and what is cleaned") {
  std::string why;
  CHECK(safe_relative("./a//b/", &why) == std::optional<std::string>("a/b"));
  CHECK_FALSE(safe_relative("/etc/passwd", &why));
  CHECK(why == "absolute path");
  CHECK_FALSE(safe_relative("a/../../x", &why));
  CHECK_FALSE(safe_relative("..", &why));
  CHECK_FALSE(safe_relative("C:/Windows/x", &why));
  CHECK_FALSE(safe_relative("a\\..\\..\\x", &why));
  CHECK(safe_relative("./", &why) == std::optional<std::string>("")); // the root: left out
  CHECK(safe_relative("a/..b/c..", &why) == std::optional<std::string>("a/..b/c.."));
}

TEST_CASE("Layouts map onto one prefix layout") {
  CHECK(detect_layout("cuda_nvcc-linux-x86_64-11.8.89-archive/bin/nvcc") == Layout::redist);
  CHECK(detect_layout("cuda/include/cudnn.h") == Layout::cudnn_legacy);
  CHECK(detect_layout("nvidia/cudnn/lib/libcudnn.so.8") == Layout::wheel);
  CHECK(detect_layout("nvidia_cudnn_cu12-8.9.7.29.dist-info/RECORD") == Layout::wheel);
  CHECK_FALSE(detect_layout("LICENSE"));

  CHECK(map_entry(Layout::redist, "x-archive/lib/libcudart.so.12", false, "cuda_cudart") ==
        "lib/libcudart.so.12");
  CHECK(map_entry(Layout::redist, "x-archive/LICENSE", false, "cuda_cudart") ==
        "share/licenses/cuda_cudart/LICENSE");
  CHECK(map_entry(Layout::redist, "x-archive", true, "c").empty());
  CHECK(map_entry(Layout::cudnn_legacy, "cuda/lib64/libcudnn.so.8.1.0", false, "cudnn") ==
        "lib/libcudnn.so.8.1.0");
  CHECK(map_entry(Layout::cudnn_legacy, "cuda/lib/x64/cudnn.lib", false, "cudnn") ==
        "lib/x64/cudnn.lib");
  CHECK(map_entry(Layout::wheel, "nvidia/cudnn/include/cudnn.h", false, "") == "include/cudnn.h");
  CHECK(map_entry(Layout::wheel, "nvidia/cudnn/__init__.py", false, "").empty());
  CHECK(map_entry(Layout::wheel, "nvidia/__init__.py", false, "").empty());
  CHECK(map_entry(Layout::wheel, "nvidia_cudnn_cu12-8.9.7.29.dist-info/METADATA", false, "") ==
        "dist-info/nvidia_cudnn_cu12-8.9.7.29.dist-info/METADATA");
  CHECK(map_entry(Layout::plain, "README", false, "") == "README");
}
