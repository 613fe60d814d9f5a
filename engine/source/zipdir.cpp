#include "source/zipdir.hpp"

#include "util/os.hpp"

#include <algorithm>
#include <cstring>
#include <libdeflate.h>
#include <memory>
#include <vector>
#if GPUCFG_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

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

namespace {

// Where the member's packed bytes start, or nullopt with `error` set.
std::optional<std::uint64_t> data_start(const char* d, std::uint64_t n, const ZipMember& m,
                                        std::string& error) {
  if (m.local_header > n || n - m.local_header < 30 || le(d + m.local_header, 4) != kLocal) {
    error = "its local header is missing";
    return std::nullopt;
  }
  std::uint64_t start =
      m.local_header + 30 + le(d + m.local_header + 26, 2) + le(d + m.local_header + 28, 2);
  if (start > n || m.packed > n - start) {
    error = "its data runs past the end of the archive";
    return std::nullopt;
  }
  if (m.method == 0 && m.packed != m.size) {
    error = "a stored entry whose sizes differ";
    return std::nullopt;
  }
  return start;
}

// The archive's pages of [from, to) are not needed again: dropped from the process (they stay
// in the page cache), so memory stays near a window's size, not the archive's.
void drop_read(const char* d, std::uint64_t from, std::uint64_t to) {
  std::uint64_t page = util::page_size();
  from = (from + page - 1) / page * page;
  to = to / page * page;
  if (to > from) util::drop_pages(d + from, to - from);
}

constexpr std::size_t k_piece = 1u << 20;     // what the sink gets at a time
constexpr std::uint64_t k_window = 64u << 20; // packed bytes read before they are dropped

#if GPUCFG_HAVE_ISAL
// ISA-L's inflater (igzip): about twice zlib's speed (2.1-2.2x on tf-2.16's 1 GB
// libtensorflow_cc.so.2), and it streams, which libdeflate does not; it keeps the CRC-32 of what it
// produced (the gzip CRC is the zip's).
std::string inflate_stream(const char* d, std::uint64_t start, const ZipMember& m,
                           const ZipSink& sink) {
  thread_local std::unique_ptr<inflate_state> st(new inflate_state);
  thread_local std::vector<char> buf(k_piece);
  isal_inflate_init(st.get());
  st->crc_flag = ISAL_GZIP_NO_HDR;
  std::uint64_t fed = 0, produced = 0;
  for (;;) {
    if (st->avail_in == 0 && fed < m.packed) { // the next window; the last one is done with
      drop_read(d, start, start + fed);
      std::uint64_t take = std::min(k_window, m.packed - fed);
      st->next_in = reinterpret_cast<std::uint8_t*>(const_cast<char*>(d + start + fed));
      st->avail_in = static_cast<std::uint32_t>(take);
      fed += take;
    }
    st->next_out = reinterpret_cast<std::uint8_t*>(buf.data());
    st->avail_out = static_cast<std::uint32_t>(buf.size());
    std::uint32_t before = st->avail_in;
    if (isal_inflate(st.get()) < 0) return "corrupt data (its deflate stream does not decode)";
    std::size_t got = buf.size() - st->avail_out;
    produced += got;
    if (produced > m.size) return "more data than its directory says";
    if (got && !sink(buf.data(), got)) return "stopped";
    if (st->block_state == ISAL_BLOCK_FINISH) break;
    if (got == 0 && st->avail_in == before && (before > 0 || fed == m.packed))
      return "truncated data"; // no progress: the stream ends before its last block
  }
  if (produced != m.size) return "truncated data";
  return st->crc == m.crc32 ? "" : "CRC-32 mismatch";
}
#endif

} // namespace

bool streamable(const ZipMember& m) {
#if GPUCFG_HAVE_ISAL
  return inflatable(m);
#else
  return inflatable(m) && m.method == 0;
#endif
}

std::string inflate_member(const char* d, std::uint64_t n, const ZipMember& m, int out,
                           util::Sha256* hash) {
  std::string error;
  auto start = data_start(d, n, m, error);
  if (!start) return error;
  if (m.size == 0) return libdeflate_crc32(0, nullptr, 0) == m.crc32 ? "" : "CRC-32 mismatch";
  if (m.size > k_zip_whole_max) return "too big to inflate whole (it is streamed)";
  return inflate_small(d + *start, m, out, hash);
}

std::string stream_member(const char* d, std::uint64_t n, const ZipMember& m, const ZipSink& sink) {
  if (!streamable(m)) return "not a member gpucfg streams itself";
  std::string error;
  auto start = data_start(d, n, m, error);
  if (!start) return error;
  const char* packed = d + *start;
  std::string why;
  if (m.method == 0) { // stored: pieces of the archive itself, CRC-32 as they go
    std::uint32_t crc = 0;
    for (std::uint64_t at = 0; at < m.size && why.empty();) {
      std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(k_piece, m.size - at));
      crc = libdeflate_crc32(crc, packed + at, take);
      if (!sink(packed + at, take)) why = "stopped";
      at += take;
      if (at % k_window == 0) drop_read(d, *start, *start + at);
    }
    if (why.empty() && crc != m.crc32) why = "CRC-32 mismatch";
  } else {
#if GPUCFG_HAVE_ISAL
    why = inflate_stream(d, *start, m, sink);
#endif
  }
  drop_read(d, *start, *start + m.packed);
  return why;
}

} // namespace gpucfg::source
