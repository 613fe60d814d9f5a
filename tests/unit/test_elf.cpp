// The ELF reader on this very test binary (Linux only: Windows binaries are PE files).
#include "probe/elf.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

using namespace gpucfg::probe;

TEST_CASE("ELF dynamic section: needed libraries and runpath", "[parsers]") {
  std::ifstream in("/proc/self/exe", std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  auto deps = parse_elf_deps(s.str());
  REQUIRE(deps);
  bool libc = false;
  for (const auto& n : deps->needed)
    libc = libc || n == "libc.so.6";
  CHECK(libc);
  CHECK_FALSE(parse_elf_deps("#!/bin/sh\necho not elf\n"));
  CHECK_FALSE(parse_elf_deps(s.str().substr(0, 40))); // truncated header: refused, no crash
  CHECK_FALSE(parse_elf_deps(""));
}
