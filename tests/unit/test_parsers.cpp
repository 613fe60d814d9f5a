#include "probe/parsers.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

using namespace gpucfg::probe;

static std::string fixture(const std::string& name) {
  std::ifstream in(std::string(GPUCFG_SOURCE_DIR) + "/tests/fixtures/probe/" + name,
                   std::ios::binary);
  REQUIRE(in);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_CASE("toolkit version files of every era", "[parsers]") {
  CHECK(parse_version_txt(fixture("version-10.0.txt")) == "10.0.130");
  auto vj = parse_version_json(fixture("version-12.2.json"));
  REQUIRE(vj);
  CHECK(vj->cuda == "12.2.2");
  CHECK(vj->components.at("cuda_nvcc") == "12.2.140");
  CHECK_FALSE(parse_version_json("{\"cuda_nvcc\": {\"version\": \"1\"}}")); // no "cuda" entry
  CHECK_FALSE(parse_version_json("not json"));
  // A runfile's version.json: the SDK's build date is no version.
  auto runfile =
      parse_version_json(R"({"cuda": {"name": "CUDA SDK", "version": "11.8.20220929"}})");
  REQUIRE(runfile);
  CHECK(runfile->cuda == "11.8");
  CHECK_FALSE(parse_version_txt("CUDA something else"));
}

TEST_CASE("nvcc --version, before and after the Build line", "[parsers]") {
  CHECK(parse_nvcc_version(fixture("nvcc-10.1.txt")) == "10.1.243");
  CHECK(parse_nvcc_version(fixture("nvcc-13.0.txt")) == "13.0.88");
  CHECK_FALSE(parse_nvcc_version("bash: nvcc: command not found"));
}

TEST_CASE("cuDNN headers: cudnn.h up to 7, cudnn_version.h from 8", "[parsers]") {
  CHECK(parse_cudnn_header(fixture("cudnn-7.6.h")) == "7.6.5");
  CHECK(parse_cudnn_header(fixture("cudnn_version-8.1.h")) == "8.1.0");
  CHECK(parse_cudnn_header(fixture("cudnn_version-9.19.h")) == "9.19.0");
  CHECK_FALSE(parse_cudnn_header("#include \"cudnn_version.h\"\n")); // cuDNN 8's cudnn.h
  CHECK(parse_cudart_header("#define CUDART_VERSION  12020\n") == "12.2");
}

TEST_CASE("driver version file, proprietary and open module wording", "[parsers]") {
  auto p = parse_driver_proc(fixture("driver-proprietary.txt"));
  REQUIRE(p);
  CHECK(p->version == "535.104.05");
  CHECK(p->module == "proprietary");
  auto o = parse_driver_proc(fixture("driver-open.txt"));
  REQUIRE(o);
  CHECK(o->version == "580.159.04");
  CHECK(o->module == "open");
  CHECK_FALSE(parse_driver_proc("GCC version: 12\n"));
}

TEST_CASE("ld.so cache written by ldconfig", "[parsers]") {
  // tests/fixtures/probe/ld.so.cache: `ldconfig -r` over a folder with libcudnn.so.8 and
  // libcudart.so.11.0 (glibc 2.36).
  auto entries = parse_ld_so_cache(fixture("ld.so.cache"));
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].name == "libcudnn.so.8");
  CHECK(entries[0].path == "/opt/cudnn-8.1/lib64/libcudnn.so.8");
  CHECK(entries[0].x86_64());
  CHECK(entries[1].name == "libcudart.so.11.0");
  CHECK(parse_ld_so_cache("").empty());
  CHECK(parse_ld_so_cache(fixture("ld.so.cache").substr(0, 60))
            .empty()); // truncated: nothing, no crash
}

TEST_CASE("dist-info names, dpkg status, os-release", "[parsers]") {
  auto di = parse_dist_info_name("nvidia_cudnn_cu13-9.19.0.56.dist-info");
  REQUIRE(di);
  CHECK(di->package == "nvidia_cudnn_cu13");
  CHECK(di->version == "9.19.0.56");
  CHECK_FALSE(parse_dist_info_name("nvidia_cudnn_cu13.egg-info"));
  auto dpkg = parse_dpkg_status(
      "Package: cuda-nvcc-13-0\nStatus: install ok installed\nVersion: 13.0.88-1\n\n"
      "Package: old\nStatus: deinstall ok config-files\nVersion: 1\n");
  CHECK(dpkg.size() == 1);
  CHECK(dpkg.at("cuda-nvcc-13-0") == "13.0.88-1");
  auto os =
      parse_os_release("PRETTY_NAME=\"Ubuntu 24.04.1 LTS\"\nID=ubuntu\nVERSION_ID=\"24.04\"\n");
  CHECK(os.at("ID") == "ubuntu");
  CHECK(os.at("VERSION_ID") == "24.04");
}

TEST_CASE("library file names and compiler output", "[parsers]") {
  CHECK(library_name_version("libcudnn.so.8.1.0") == "8.1.0");
  CHECK(library_name_version("libcudnn.so") == "");
  CHECK(library_name_version("cudnn64_8.dll") == "8");
  CHECK(library_name_version("cudart64_110.dll") == "110");
  CHECK(library_stem("libcudnn_ops_infer.so.8.1.0") == "libcudnn_ops_infer");
  CHECK(parse_compiler_version("gcc (Debian 12.2.0-14+deb12u1) 12.2.0\nCopyright") == "12.2.0");
  CHECK(parse_compiler_version("Debian clang version 14.0.6\nTarget: x86_64") == "14.0.6");
  CHECK(parse_compiler_version("12.2.0\n") == "12.2.0");
}
