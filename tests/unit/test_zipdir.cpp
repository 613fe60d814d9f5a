// gpucfg's own reading of a zip's central directory and its inflation of members, on this
// platform's files: a zip64 fixture (Python's force_zip64), a damaged stream, and members over
// the small-member buffer, streamed (stored ones everywhere, deflated ones with ISA-L).
#include "helpers.hpp"
#include "source/zipdir.hpp"
#include "util/os.hpp"
#include "util/sha256.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <libdeflate.h>

using namespace gpucfg;
using namespace gpucfg::source;

namespace {

void le(std::string& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i)
    out += static_cast<char>((v >> (8 * i)) & 0xff);
}

// A zip with one member, laid out by the APPNOTE's rules: stored (method 0), or deflated
// (method 8, libdeflate's compressor).
std::string one_member_zip(const std::string& name, const std::string& data, bool deflate) {
  std::uint32_t crc = libdeflate_crc32(0, data.data(), data.size());
  std::string packed = data;
  if (deflate) {
    libdeflate_compressor* c = libdeflate_alloc_compressor(6);
    packed.resize(libdeflate_deflate_compress_bound(c, data.size()));
    packed.resize(
        libdeflate_deflate_compress(c, data.data(), data.size(), packed.data(), packed.size()));
    libdeflate_free_compressor(c);
  }
  const int method = deflate ? 8 : 0;
  std::string zip;
  le(zip, 0x04034b50, 4);
  for (auto [v, n] : {std::pair{20, 2}, {0, 2}, {method, 2}, {0, 2}, {0x21, 2}})
    le(zip, static_cast<std::uint64_t>(v), n);
  le(zip, crc, 4);
  le(zip, packed.size(), 4);
  le(zip, data.size(), 4);
  le(zip, name.size(), 2);
  le(zip, 0, 2);
  zip += name + packed;
  std::size_t central = zip.size();
  le(zip, 0x02014b50, 4);
  for (auto [v, n] : {std::pair{20, 2}, {20, 2}, {0, 2}, {method, 2}, {0, 2}, {0x21, 2}})
    le(zip, static_cast<std::uint64_t>(v), n);
  le(zip, crc, 4);
  le(zip, packed.size(), 4);
  le(zip, data.size(), 4);
  le(zip, name.size(), 2);
  for (int n : {2, 2, 2, 2})
    le(zip, 0, n);
  le(zip, 0, 4);
  le(zip, 0, 4); // the local header's offset
  zip += name;
  std::size_t central_size = zip.size() - central;
  le(zip, 0x06054b50, 4);
  for (int i = 0; i < 2; ++i)
    le(zip, 0, 2);
  le(zip, 1, 2);
  le(zip, 1, 2);
  le(zip, central_size, 4);
  le(zip, central, 4);
  le(zip, 0, 2);
  return zip;
}

// What stream_member gives the sink, joined; its result in `why`.
std::string streamed(const std::string& zip, const ZipMember& m, std::string& why) {
  std::string out;
  std::size_t pieces = 0;
  why = stream_member(zip.data(), zip.size(), m, [&](const char* p, std::size_t n) {
    out.append(p, n);
    return ++pieces < 1000;
  });
  return out;
}

} // namespace

TEST_CASE("zipdir: a zip64 central directory (Python's force_zip64): members, sizes, bytes") {
  std::ifstream in(std::string(GPUCFG_SOURCE_DIR) + "/tests/fixtures/zip/zip64.zip",
                   std::ios::binary);
  std::string zip((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto dir = read_zip_directory(zip.data(), zip.size());
  REQUIRE(dir);
  REQUIRE(dir->size() == 2);
  const ZipMember& a = dir->at("lib/a.txt");
  CHECK(a.method == 8);
  CHECK(a.size == 700);
  const ZipMember& b = dir->at("b.txt");
  CHECK(b.method == 0);
  CHECK(b.size == 13);
  CHECK(inflatable(a));

  test::TempDir tmp;
  std::string out = (tmp.path() / "a.txt").string();
  int fd = util::open_write(out);
  REQUIRE(fd >= 0);
  util::Sha256 hash;
  CHECK(inflate_member(zip.data(), zip.size(), a, fd, &hash) == "");
  util::close_fd(fd);
  std::string want;
  for (int i = 0; i < 100; ++i)
    want += "gpucfg ";
  CHECK(hash.hex() == util::sha256_hex(want));
  CHECK(util::sha256_file(out) == util::sha256_hex(want));

  // Cut short or damaged: no directory, or an error, never a crash.
  CHECK_FALSE(read_zip_directory(zip.data(), zip.size() - 30));
  std::string bad = zip;
  auto at = static_cast<std::size_t>(a.local_header);
  auto u16 = [&](std::size_t i) {
    return static_cast<unsigned char>(zip[i]) | static_cast<unsigned char>(zip[i + 1]) << 8;
  };
  std::size_t start = at + 30 + u16(at + 26) + u16(at + 28); // a's deflate stream
  bad[start + a.packed / 2] ^= 0x55;
  int fd2 = util::open_write(out);
  CHECK(inflate_member(bad.data(), bad.size(), a, fd2, nullptr) != "");
  util::close_fd(fd2);
}

TEST_CASE("zipdir: members over the small-member buffer are streamed, their CRC-32 checked") {
  std::string data;
  for (std::size_t i = 0; data.size() < (5u << 20) + 123; ++i)
    data += std::to_string(i * 2654435761u) + "\n";
  for (bool deflate : {false, true}) {
    CAPTURE(deflate);
    std::string zip = one_member_zip("lib/big.so", data, deflate);
    auto dir = read_zip_directory(zip.data(), zip.size());
    REQUIRE(dir);
    const ZipMember& m = dir->at("lib/big.so");
    REQUIRE(m.size == data.size());
    // Too big to be inflated whole: the extractor streams it.
    test::TempDir tmp;
    int fd = util::open_write((tmp.path() / "big.so").string());
    REQUIRE(fd >= 0);
    CHECK(inflate_member(zip.data(), zip.size(), m, fd, nullptr) != "");
    util::close_fd(fd);
#if !GPUCFG_HAVE_ISAL
    if (deflate) { // libarchive's zlib streams it instead (the Windows build)
      CHECK_FALSE(streamable(m));
      continue;
    }
#endif
    REQUIRE(streamable(m));
    std::string why;
    std::string got = streamed(zip, m, why);
    CHECK(why == "");
    CHECK(got.size() == data.size());
    CHECK(util::sha256_hex(got) == util::sha256_hex(data));

    // One flipped byte: the stored data's CRC-32, or the deflate stream itself, says so.
    std::string bad = zip;
    bad[zip.size() / 2] ^= 1;
    streamed(bad, m, why);
    CHECK(why != "");
    // A sink that says stop is obeyed.
    std::size_t calls = 0;
    why = stream_member(zip.data(), zip.size(), m, [&](const char*, std::size_t) {
      ++calls;
      return false;
    });
    CHECK(why == "stopped");
    CHECK(calls == 1);
    // Cut short: its data runs past the end, never a crash.
    ZipMember longer = m;
    longer.packed = zip.size();
    CHECK(stream_member(zip.data(), zip.size(), longer,
                        [](const char*, std::size_t) { return true; }) != "");
  }
}
