#include "probe/elf.hpp"

#include "util/strings.hpp"

#include <cstdint>
#include <cstring>

namespace gpucfg::probe {
namespace {

// The ELF-64 structures and constants read here, as the System V ABI defines them (not
// <elf.h>, which is glibc's: verify reads Linux libraries on any platform).
struct Elf64_Ehdr {
  unsigned char e_ident[16];
  std::uint16_t e_type, e_machine;
  std::uint32_t e_version;
  std::uint64_t e_entry, e_phoff, e_shoff;
  std::uint32_t e_flags;
  std::uint16_t e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
};
struct Elf64_Phdr {
  std::uint32_t p_type, p_flags;
  std::uint64_t p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align;
};
struct Elf64_Dyn {
  std::int64_t d_tag;
  union {
    std::uint64_t d_val, d_ptr;
  } d_un;
};
static_assert(sizeof(Elf64_Ehdr) == 64 && sizeof(Elf64_Phdr) == 56 && sizeof(Elf64_Dyn) == 16);
constexpr char ELFMAG[] = "\177ELF";
constexpr std::size_t SELFMAG = 4;
constexpr int EI_CLASS = 4, EI_DATA = 5, ELFCLASS64 = 2, ELFDATA2LSB = 1;
constexpr std::uint32_t PT_LOAD = 1, PT_DYNAMIC = 2;
constexpr std::int64_t DT_NULL = 0, DT_NEEDED = 1, DT_STRTAB = 5, DT_SONAME = 14, DT_RPATH = 15,
                       DT_RUNPATH = 29;

} // namespace

namespace {
template <class T> bool read_at(std::string_view b, std::size_t off, T* out) {
  if (off > b.size() || b.size() - off < sizeof(T)) return false;
  std::memcpy(out, b.data() + off, sizeof(T));
  return true;
}
} // namespace

std::optional<ElfDeps> parse_elf_deps(std::string_view b) {
  Elf64_Ehdr eh;
  if (!read_at(b, 0, &eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
      eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB)
    return std::nullopt;
  // The dynamic segment (PT_DYNAMIC) and the load segments that map virtual addresses to offsets.
  std::vector<Elf64_Phdr> loads;
  std::optional<Elf64_Phdr> dyn;
  for (unsigned i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    if (!read_at(b, eh.e_phoff + std::size_t(i) * eh.e_phentsize, &ph)) return std::nullopt;
    if (ph.p_type == PT_LOAD) loads.push_back(ph);
    if (ph.p_type == PT_DYNAMIC) dyn = ph;
  }
  ElfDeps out;
  if (!dyn) return out; // static: needs nothing
  auto to_offset = [&](std::uint64_t vaddr) -> std::optional<std::size_t> {
    for (const auto& l : loads)
      if (vaddr >= l.p_vaddr && vaddr < l.p_vaddr + l.p_filesz)
        return std::size_t(vaddr - l.p_vaddr + l.p_offset);
    return std::nullopt;
  };
  std::vector<std::uint64_t> needed;
  std::optional<std::uint64_t> strtab, runpath, rpath, soname;
  for (std::size_t off = dyn->p_offset; off + sizeof(Elf64_Dyn) <= dyn->p_offset + dyn->p_filesz;
       off += sizeof(Elf64_Dyn)) {
    Elf64_Dyn d;
    if (!read_at(b, off, &d) || d.d_tag == DT_NULL) break;
    switch (d.d_tag) {
    case DT_NEEDED:
      needed.push_back(d.d_un.d_val);
      break;
    case DT_STRTAB:
      strtab = d.d_un.d_ptr;
      break;
    case DT_RUNPATH:
      runpath = d.d_un.d_val;
      break;
    case DT_RPATH:
      rpath = d.d_un.d_val;
      break;
    case DT_SONAME:
      soname = d.d_un.d_val;
      break;
    default:
      break;
    }
  }
  if (!strtab) return std::nullopt;
  auto base = to_offset(*strtab);
  if (!base) return std::nullopt;
  auto str = [&](std::uint64_t o) -> std::string {
    std::size_t p = *base + o;
    if (p >= b.size()) return {};
    std::size_t end = b.find('\0', p);
    return std::string(b.substr(p, (end == std::string_view::npos ? b.size() : end) - p));
  };
  for (auto n : needed)
    out.needed.push_back(str(n));
  if (soname) out.soname = str(*soname);
  std::optional<std::uint64_t> path = runpath ? runpath : rpath;
  if (path)
    for (const auto& p : util::split(str(*path), ':'))
      if (!p.empty()) out.runpath.push_back(p);
  return out;
}

} // namespace gpucfg::probe
