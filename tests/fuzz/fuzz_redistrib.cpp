// libFuzzer: NVIDIA's redistrib index, which may come from any mirror.
#include "source/redistrib.hpp"

#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size), error;
  auto r = gpucfg::source::parse_redistrib(text, &error);
  if (!r) return 0;
  for (const char* name : {"cuda_nvcc", "cudnn", "cuda_cudart"})
    if (const auto* c = gpucfg::source::find_component(*r, name))
      for (const char* platform : {"linux-x86_64", "windows-x86_64"})
        (void)gpucfg::source::select_archive(*c, platform, "12", &error);
  return 0;
}
