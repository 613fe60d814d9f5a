// gpucfg's own reading of a zip's central directory and its whole-member inflation, on this
// platform's files: a zip64 fixture (Python's force_zip64), a damaged stream, and a member over
// the small-member buffer, written through a mapping (mmap; MapViewOfFile under Wine).
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

// A zip with one stored (method 0) member, laid out by the APPNOTE's rules.
std::string stored_zip(const std::string& name, const std::string& data) {
  std::uint32_t crc = libdeflate_crc32(0, data.data(), data.size());
  std::string zip;
  le(zip, 0x04034b50, 4);
  for (auto [v, n] : {std::pair{20, 2}, {0, 2}, {0, 2}, {0, 2}, {0x21, 2}})
    le(zip, static_cast<std::uint64_t>(v), n);
  le(zip, crc, 4);
  le(zip, data.size(), 4);
  le(zip, data.size(), 4);
  le(zip, name.size(), 2);
  le(zip, 0, 2);
  zip += name + data;
  std::size_t central = zip.size();
  le(zip, 0x02014b50, 4);
  for (auto [v, n] : {std::pair{20, 2}, {20, 2}, {0, 2}, {0, 2}, {0, 2}, {0x21, 2}})
    le(zip, static_cast<std::uint64_t>(v), n);
  le(zip, crc, 4);
  le(zip, data.size(), 4);
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

TEST_CASE("zipdir: a member over the small-member buffer goes through a writable mapping") {
  std::string data;
  for (std::size_t i = 0; data.size() < (5u << 20) + 123; ++i)
    data += std::to_string(i * 2654435761u) + "\n";
  std::string zip = stored_zip("lib/big.so", data);
  auto dir = read_zip_directory(zip.data(), zip.size());
  REQUIRE(dir);
  const ZipMember& m = dir->at("lib/big.so");
  REQUIRE(m.size == data.size());
  test::TempDir tmp;
  std::string out = (tmp.path() / "big.so").string();
  int fd = util::open_write(out);
  REQUIRE(fd >= 0);
  util::Sha256 hash;
  CHECK(inflate_member(zip.data(), zip.size(), m, fd, &hash) == "");
  util::close_fd(fd);
  CHECK(hash.hex() == util::sha256_hex(data));
  CHECK(util::sha256_file(out) == util::sha256_hex(data)); // what landed on disk
  std::string bad = zip;
  bad[100] ^= 1; // one flipped byte in the stored data: the CRC says so
  fd = util::open_write(out);
  CHECK(inflate_member(bad.data(), bad.size(), m, fd, nullptr) == "CRC-32 mismatch");
  util::close_fd(fd);
}
