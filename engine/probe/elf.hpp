// Reading an ELF shared library's dynamic section: the libraries it needs (DT_NEEDED) and where
// it asks the loader to look (DT_RUNPATH / DT_RPATH). Pure: bytes in, names out; a file that is
// not a 64-bit little-endian ELF gives nullopt.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gpucfg::probe {

struct ElfDeps {
  std::string soname;
  std::vector<std::string> needed;
  std::vector<std::string> runpath; // RUNPATH (or RPATH) entries, $ORIGIN not expanded
};

std::optional<ElfDeps> parse_elf_deps(std::string_view bytes);

} // namespace gpucfg::probe
