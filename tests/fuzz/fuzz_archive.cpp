// libFuzzer: extraction of an untrusted archive (any format libarchive reads: tar and its
// compressions, zip, a makeself header, a 7z after a PE stub) into a fresh folder, with the
// entry rules. Whatever it is, nothing may land outside the folder and gpucfg must not crash.
#include "source/archive.hpp"

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const fs::path base = fs::temp_directory_path() / ("gpucfg-fuzz-" + std::to_string(::getpid()));
  std::error_code ec;
  fs::remove_all(base, ec);
  fs::create_directories(base / "out", ec);
  std::string file = (base / "in.bin").string();
  {
    std::ofstream out(file, std::ios::binary);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  gpucfg::source::ExtractOptions o;
  o.max_unpacked = 8u << 20;
  (void)gpucfg::source::extract(file, (base / "out").string(), o);
  // A write beside the output folder (an entry that escaped it) stops the run.
  for (const auto& e : fs::directory_iterator(base, ec))
    if (e.path().filename() != "in.bin" && e.path().filename() != "out") __builtin_trap();
  fs::remove_all(base, ec);
  return 0;
}
