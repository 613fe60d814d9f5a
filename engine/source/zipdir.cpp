#include "source/zipdir.hpp"

#include "util/os.hpp"

#include <cstring>
#include <libdeflate.h>
#include <memory>
#include <vector>

namespace gpucfg::source {
namespace {

// Little-endian fields at `p`; every caller has checked the bounds first.
std::uint64_t le(const char* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i)
    v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

constexpr std::uint32_t kEocd = 0x06054b50, kLocator64 = 0x07064b50, kEocd64 = 0x06064b50,
                        kCentral = 0x02014b50, kLocal = 0x04034b50;

struct Directory {
  std::uint64_t offset = 0, size = 0, count = 0;
};

std::optional<Directory> find_directory(const char* d, std::uint64_t n) {
  if (n < 22) return std::nullopt;
  // The record is the last 22 bytes plus a comment of at most 65535.
  std::uint64_t lowest = n > 22 + 65535 ? n - 22 - 65535 : 0;
  for (std::uint64_t at = n - 22 + 1; at-- > lowest;) {
    if (le(d + at, 4) != kEocd || at + 22 + le(d + at + 20, 2) != n) continue;
    Directory dir{le(d + at + 16, 4), le(d + at + 12, 4), le(d + at + 10, 2)};
    bool needs64 = dir.offset == 0xFFFFFFFF || dir.size == 0xFFFFFFFF || dir.count == 0xFFFF;
    if (needs64) {
      if (at < 20 || le(d + at - 20, 4) != kLocator64) return std::nullopt;
      std::uint64_t rec = le(d + at - 20 + 8, 8);
      if (rec > n || n - rec < 56 || le(d + rec, 4) != kEocd64) return std::nullopt;
      dir = {le(d + rec + 48, 8), le(d + rec + 40, 8), le(d + rec + 32, 8)};
    }
    if (dir.offset > n || dir.size > n - dir.offset) return std::nullopt;
    return dir;
  }
  return std::nullopt;
}

// The zip64 extra field fills in the sizes and offset that are 0xFFFFFFFF in the fixed part.
bool apply_zip64(const char* extra, std::uint64_t len, ZipMember& m) {
  for (std::uint64_t at = 0; at + 4 <= len;) {
    std::uint64_t id = le(extra + at, 2), size = le(extra + at + 2, 2);
    if (at + 4 + size > len) return false;
    if (id == 0x0001) {
      const char* p = extra + at + 4;
      std::uint64_t left = size;
      for (std::uint64_t* field : {&m.size, &m.packed, &m.local_header}) {
        if (*field != 0xFFFFFFFF) continue;
        if (left < 8) return false;
        *field = le(p, 8);
        p += 8;
        left -= 8;
      }
      return true;
    }
    at += 4 + size;
  }
  return m.size != 0xFFFFFFFF && m.packed != 0xFFFFFFFF && m.local_header != 0xFFFFFFFF;
}

struct FreeDecompressor {
  void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
};

// The member's bytes into dst (m.size bytes), checked against its CRC-32, fed to hash.
std::string produce(const char* packed, const ZipMember& m, char* dst, util::Sha256* hash) {
  if (m.method == 0) {
    std::memcpy(dst, packed, m.size);
  } else {
    thread_local std::unique_ptr<libdeflate_decompressor, FreeDecompressor> z(
        libdeflate_alloc_decompressor());
    std::size_t got = 0;
    auto rc = z ? libdeflate_deflate_decompress(z.get(), packed, m.packed, dst, m.size, &got)
                : LIBDEFLATE_BAD_DATA;
    if (rc != LIBDEFLATE_SUCCESS || got != m.size) return "corrupt or truncated data";
  }
  if (libdeflate_crc32(0, dst, m.size) != m.crc32) return "CRC-32 mismatch";
  if (hash) hash->update(dst, m.size);
  return "";
}

std::string inflate_small(const char* packed, const ZipMember& m, int out, util::Sha256* hash) {
  thread_local std::vector<char> buf;
  if (buf.size() < m.size) buf.resize(m.size);
  if (std::string error = produce(packed, m, buf.data(), hash); !error.empty()) return error;
  return util::write_all(out, buf.data(), m.size) ? "" : "write failed: " + util::last_error_text();
}

} // namespace

std::optional<std::unordered_map<std::string, ZipMember>> read_zip_directory(const char* d,
                                                                             std::uint64_t n) {
  auto dir = find_directory(d, n);
  if (!dir) return std::nullopt;
  std::unordered_map<std::string, ZipMember> out;
  std::unordered_map<std::string, int> seen;
  const char* p = d + dir->offset;
  std::uint64_t left = dir->size;
  for (std::uint64_t i = 0; i < dir->count; ++i) {
    if (left < 46 || le(p, 4) != kCentral) return std::nullopt;
    std::uint64_t name_len = le(p + 28, 2), extra_len = le(p + 30, 2), comment_len = le(p + 32, 2);
    std::uint64_t whole = 46 + name_len + extra_len + comment_len;
    if (whole > left) return std::nullopt;
    ZipMember m;
    m.encrypted = le(p + 8, 2) & 1;
    m.method = static_cast<std::uint16_t>(le(p + 10, 2));
    m.crc32 = static_cast<std::uint32_t>(le(p + 16, 4));
    m.packed = le(p + 20, 4);
    m.size = le(p + 24, 4);
    m.local_header = le(p + 42, 4);
    if (!apply_zip64(p + 46 + name_len, extra_len, m)) return std::nullopt;
    std::string name(p + 46, name_len);
    // A name that appears twice is ambiguous: left to libarchive, which reads them in order.
    if (++seen[name] > 1)
      out.erase(name);
    else
      out.emplace(std::move(name), m);
    p += whole;
    left -= whole;
  }
  return out;
}

bool inflatable(const ZipMember& m) {
  return !m.encrypted && (m.method == 0 || m.method == 8);
}

std::string inflate_member(const char* d, std::uint64_t n, const ZipMember& m, int out,
                           util::Sha256* hash) {
  if (m.local_header > n || n - m.local_header < 30 || le(d + m.local_header, 4) != kLocal)
    return "its local header is missing";
  std::uint64_t start =
      m.local_header + 30 + le(d + m.local_header + 26, 2) + le(d + m.local_header + 28, 2);
  if (start > n || m.packed > n - start) return "its data runs past the end of the archive";
  if (m.method == 0 && m.packed != m.size) return "a stored entry whose sizes differ";
  if (m.size == 0) return libdeflate_crc32(0, nullptr, 0) == m.crc32 ? "" : "CRC-32 mismatch";
  if (m.size <= k_zip_whole_max) return inflate_small(d + start, m, out, hash);
  // Bigger members (the extractor streams those itself; this serves other callers) are written
  // through a mapping, its space claimed first (a full disk is an error here, not a SIGBUS in
  // the copy): libdeflate needs the whole output as one buffer, and a heap buffer as large as
  // the largest library (cuDNN's, ~600 MB) would be a copy and a cost in memory.
  std::string error;
  {
    util::WritableMapping map(out, m.size);
    if (!map.data()) return map.error();
    error = produce(d + start, m, map.data(), hash);
  }
  // The archive's pages of this member are not needed again: dropped from the process (they
  // stay in the page cache), so memory stays near one member's size, not the archive's.
  std::uint64_t page = util::page_size();
  std::uint64_t from = (start + page - 1) / page * page, to = (start + m.packed) / page * page;
  if (to > from) util::drop_pages(d + from, to - from);
  return error;
}

} // namespace gpucfg::source
