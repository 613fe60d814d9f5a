// libFuzzer: what facts reads off a machine, all of it untrusted: version files and headers,
// the driver's proc file, dist-info names, dpkg status, os-release, compiler output, the binary
// ld.so cache, and ELF dynamic sections.
#include "probe/elf.hpp"
#include "probe/parsers.hpp"

#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gpucfg::probe;
  std::string text(reinterpret_cast<const char*>(data), size);
  (void)parse_version_json(text);
  (void)parse_version_txt(text);
  (void)parse_nvcc_version(text);
  (void)parse_cudart_header(text);
  (void)parse_cudnn_header(text);
  (void)parse_driver_proc(text);
  (void)parse_dist_info_name(text);
  (void)parse_dpkg_status(text);
  (void)parse_os_release(text);
  (void)library_name_version(text);
  (void)library_stem(text);
  (void)parse_compiler_version(text);
  (void)parse_ld_so_cache(text);
  (void)parse_elf_deps(text);
  return 0;
}
