// The extractor's writer (source::WriteBehind), on this computer's disk, both ways it runs: on a
// thread of its own and on the caller's. Each must write the same bytes, take the same hashes,
// and name the file whose write failed.
#include "helpers.hpp"
#include "source/write_behind.hpp"
#include "util/fileinfo.hpp"
#include "util/os.hpp"
#include "util/sha256.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>

using namespace gpucfg;
using namespace gpucfg::source;

namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Bytes that differ block to block, so a block written twice or out of place shows.
std::string pattern(std::size_t n, unsigned seed) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i)
    s[i] = static_cast<char>((i * 131 + seed * 7 + i / 4096) & 0xff);
  return s;
}

} // namespace

TEST_CASE("WriteBehind: bytes, hashes, modes and mtimes, threaded or not") {
  for (bool threaded : {true, false}) {
    INFO("threaded: " << threaded);
    test::TempDir tmp;
    std::string dir = tmp.path().string();
    // 40 MB in 1 MB blocks: more than the writer may have queued, so the caller waits on it.
    std::string big = pattern(40u << 20, 1), small = pattern(5000, 2), plain = pattern(300, 3);
    std::map<std::string, std::string> hashes;
    {
      WriteBehind w(threaded);
      w.open(util::open_new(dir + "/big"), "big", "entry/big", true);
      for (std::size_t at = 0; at < big.size(); at += 1u << 20)
        REQUIRE(w.write(big.data() + at, 1u << 20, at));
      w.close(0755, 1'600'000'000'123'000'000);
      w.open(util::open_new(dir + "/small"), "small", "entry/small", true);
      REQUIRE(w.write(small.data(), 1000, 0));
      REQUIRE(w.write(small.data() + 1000, 4000, 1000));
      w.close(0644, 1'500'000'000'000'000'000);
      w.open(util::open_new(dir + "/plain"), "plain", "entry/plain", false);
      REQUIRE(w.write(plain.data(), plain.size(), 0));
      w.close(0644, 0);
      // A sparse entry: its second block lands past a hole, which stays zero; no hash.
      w.open(util::open_new(dir + "/sparse"), "sparse", "entry/sparse", true);
      REQUIRE(w.write("ab", 2, 0));
      REQUIRE(w.write("cd", 2, 10));
      w.close(0644, 0);
      CHECK_FALSE(w.drain(&hashes));
    }
    CHECK(read_all(dir + "/big") == big);
    CHECK(read_all(dir + "/small") == small);
    CHECK(read_all(dir + "/plain") == plain);
    CHECK(read_all(dir + "/sparse") == std::string("ab\0\0\0\0\0\0\0\0cd", 12));
    CHECK(hashes.size() == 2);
    CHECK(hashes["big"] == util::sha256_hex(big));
    CHECK(hashes["small"] == util::sha256_hex(small));
    auto st = util::lstat_info(dir + "/big");
    REQUIRE(st);
#ifndef _WIN32
    CHECK((st->mode & 0777) == 0755);
#endif
    CHECK(st->mtime_ns == 1'600'000'000'123'000'000);
  }
}

#ifndef _WIN32
TEST_CASE("WriteBehind: a failed write names its file, stops what follows, keeps no hash") {
  for (bool threaded : {true, false}) {
    INFO("threaded: " << threaded);
    test::TempDir tmp;
    std::string dir = tmp.path().string();
    std::string data = pattern(3u << 20, 4);
    WriteBehind w(threaded);
    w.open(util::open_new(dir + "/good"), "good", "entry/good", true);
    REQUIRE(w.write(data.data(), data.size(), 0));
    w.close(0644, 0);
    tmp.write("readonly", "x");
    w.open(util::open_read(dir + "/readonly"), "readonly", "entry/readonly", true);
    bool stopped = false;
    for (int i = 0; i < 64 && !stopped; ++i) // threaded, the failure shows a few blocks later
      stopped = !w.write(data.data(), 1u << 20, static_cast<std::uint64_t>(i) << 20);
    w.close(0644, 0);
    w.open(util::open_new(dir + "/after"), "after", "entry/after", true);
    CHECK_FALSE(w.write("late", 4, 0));
    w.close(0644, 0);
    std::map<std::string, std::string> hashes;
    auto failed = w.drain(&hashes);
    CHECK(stopped);
    REQUIRE(failed);
    CHECK(failed->first == "entry/readonly");
    CHECK(failed->second.rfind("write failed", 0) == 0);
    CHECK(hashes.count("good") == 1);
    CHECK(hashes.count("readonly") == 0);
    CHECK(hashes.count("after") == 0);
    CHECK(read_all(dir + "/after").empty());
  }
}
#endif
