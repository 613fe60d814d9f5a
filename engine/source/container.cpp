#include "source/container.hpp"

#include "util/os.hpp"

#include <cstring>
#include <regex>
#include <vector>

namespace gpucfg::source {
namespace {

std::string pread_string(int fd, std::uint64_t offset, std::size_t n) {
  std::string buf(n, '\0');
  std::int64_t got = util::read_at(fd, buf.data(), n, offset);
  buf.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
  return buf;
}

std::uint32_t le32(const unsigned char* p) {
  return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}

std::uint32_t crc32(const unsigned char* p, std::size_t n) {
  std::uint32_t c = 0xFFFFFFFFu;
  for (std::size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k)
      c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return ~c;
}

// The byte offset of the payload of a makeself script: the length of its first N lines.
Container makeself(int fd, const std::string& head) {
  Container c;
  c.kind = Container::Kind::makeself;
  std::smatch m;
  static const std::regex lines_v21(R"re(head -n "?([0-9]+)"? "\$[01]")re");
  static const std::regex lines_v24(R"re(\nskip="?([0-9]+)"?\n)re");
  std::size_t lines = 0;
  if ((std::regex_search(head, m, lines_v21) || std::regex_search(head, m, lines_v24)) &&
      m[1].length() <= 9) // a longer count is no header of makeself's
    lines = std::stoul(m[1].str());
  if (lines == 0) {
    c.error = "a makeself script whose header does not say where its archive starts";
    return c;
  }
  std::uint64_t offset = 0;
  std::string block;
  for (std::size_t seen = 0; seen < lines;) {
    block = pread_string(fd, offset, 1 << 16);
    if (block.empty()) {
      c.error = "a makeself script shorter than its header says";
      return c;
    }
    std::size_t pos = 0;
    for (; seen < lines; ++seen) {
      std::size_t nl = block.find('\n', pos);
      if (nl == std::string::npos) break;
      pos = nl + 1;
    }
    offset += pos;
    if (pos == 0) { // a line longer than the block: not a makeself header
      c.error = "a makeself header with an overlong line";
      return c;
    }
  }
  c.offset = offset;
  return c;
}

// The first 7z start header whose CRC holds, scanning past a self-extractor's stub.
Container sevenzip_after_stub(int fd) {
  static const unsigned char sig[] = {'7', 'z', 0xBC, 0xAF, 0x27, 0x1C};
  constexpr std::size_t k_chunk = 1 << 20;
  constexpr std::uint64_t k_limit = 64ull << 20; // stubs are a few hundred KiB
  for (std::uint64_t base = 0; base < k_limit; base += k_chunk) {
    std::string block = pread_string(fd, base, k_chunk + 32);
    if (block.size() < 32) break;
    const auto* p = reinterpret_cast<const unsigned char*>(block.data());
    for (std::size_t i = 0; i + 32 <= block.size() && i < k_chunk; ++i) {
      if (std::memcmp(p + i, sig, sizeof sig) != 0) continue;
      if (crc32(p + i + 12, 20) != le32(p + i + 8)) continue;
      Container c;
      c.kind = Container::Kind::sevenzip;
      c.offset = base + i;
      return c;
    }
  }
  return {};
}

} // namespace

Container inspect_container(int fd) {
  std::string head = pread_string(fd, 0, 1 << 20);
  if (head.rfind("#!", 0) == 0 && head.find("Makeself") != std::string::npos)
    return makeself(fd, head);
  if (head.size() >= 32 && head.compare(0, 6, std::string("7z\xBC\xAF\x27\x1C", 6)) == 0) {
    Container c;
    c.kind = Container::Kind::sevenzip;
    return c;
  }
  if (head.rfind("MZ", 0) == 0) return sevenzip_after_stub(fd);
  Container c;
  if (head.rfind(std::string("PK\x03\x04", 4), 0) == 0) c.kind = Container::Kind::zip;
  return c;
}

} // namespace gpucfg::source
