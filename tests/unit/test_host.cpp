// The Host on this platform: a machine under a root folder read through machine paths, and the
// live machine running a program. Linux: POSIX paths under the root. Windows (under Wine):
// "C:\x\y" is <root>\C\x\y, and programs run through CreateProcessW.
#include "disk/fsops.hpp"
#include "helpers.hpp"
#include "probe/host.hpp"

#include <algorithm>
#include <catch2/catch.hpp>

using namespace gpucfg;

namespace {
#ifdef _WIN32
const char* k_dir = "C:\\Tools\\CUDA";
const char* k_file = "C:\\Tools\\CUDA\\version.json";
const char* k_program = "C:\\Tools\\CUDA\\nvcc.exe";
const char* k_program_name = "nvcc.exe";
const char* k_on_disk = "C/Tools/CUDA";
const std::vector<std::string> k_echo = {"C:\\windows\\system32\\cmd.exe", "/c", "echo hello"};
#else
const char* k_dir = "/usr/local/cuda";
const char* k_file = "/usr/local/cuda/version.json";
const char* k_program = "/usr/local/cuda/nvcc";
const char* k_program_name = "nvcc";
const char* k_on_disk = "usr/local/cuda";
const std::vector<std::string> k_echo = {"/bin/sh", "-c", "echo hello"};
#endif
} // namespace

TEST_CASE("host: a machine under a root, read through its own paths") {
  test::TempDir dir;
  std::string folder = (dir.path() / k_on_disk).string();
  REQUIRE(disk::make_dirs(folder, nullptr).empty());
  REQUIRE(disk::write_file(folder + "/version.json", "{\"cuda\": {}}", 0644).empty());
  REQUIRE(disk::write_file(folder + "/" + k_program_name, "#!/bin/sh\n", 0755).empty());
  auto host = probe::make_local_host(dir.path().string());
  CHECK_FALSE(host->live());
  CHECK(host->is_dir(k_dir));
  CHECK(host->is_file(k_file));
  CHECK_FALSE(host->is_file(k_dir));
  CHECK(host->read(k_file) == "{\"cuda\": {}}");
  CHECK(host->read(k_file, 3) == "{\"c");
  CHECK_FALSE(host->read(std::string(k_file) + ".missing"));
  auto names = host->list(k_dir);
  REQUIRE(names.size() == 2);
  CHECK(names[1] == "version.json");
  CHECK(host->is_executable(k_program));
  CHECK_FALSE(host->is_executable(k_file));
  auto st = host->lstat(k_file);
  REQUIRE(st);
  CHECK(st->kind == "file");
  CHECK(st->size == 12);
  CHECK_FALSE(host->lstat(std::string(k_dir) + "/absent"));
}

TEST_CASE("host: the live machine runs a program and reads its environment") {
  auto host = probe::make_local_host("/");
  CHECK(host->live());
  auto r = host->run(k_echo, std::chrono::seconds(20));
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("hello") != std::string::npos);
  CHECK(host->env("PATH"));
  auto names = host->env_names("PAT");
  CHECK(std::find(names.begin(), names.end(), "PATH") != names.end());
}
