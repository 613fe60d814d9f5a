#include "platform/platform.hpp"

#include <catch2/catch.hpp>

using namespace gpucfg;

TEST_CASE("platforms name libraries and prefixes their own way", "[platform]") {
  const auto& linux = *platform::find("linux-x86_64");
  const auto& windows = *platform::find("windows-x86_64");
  auto v = *util::Version::parse("11.2");
  CHECK(linux.default_cuda_prefix(v) == "/usr/local/cuda-11.2");
  CHECK(windows.default_cuda_prefix(v) ==
        "C:\\Program Files\\NVIDIA GPU Computing Toolkit\\CUDA\\v11.2");
  CHECK(linux.library_file("cudnn", "8") == "libcudnn.so.8");
  CHECK(windows.library_file("cusolver", "10") == "cusolver64_10.dll");
  CHECK(windows.native("C:/x/y") == "C:\\x\\y");
  CHECK(windows.is_absolute("C:\\x"));
  CHECK(windows.is_absolute("\\\\server\\share"));
  CHECK_FALSE(windows.is_absolute("/usr/local"));
  CHECK(linux.is_absolute("/usr/local"));
  CHECK_FALSE(linux.is_absolute("usr/local"));
  CHECK(platform::find("linux-ppc64le") == nullptr);
  CHECK(platform::find(platform::host().id()) == &platform::host());
}
