// SHA-256 through the platform's backend (OpenSSL on Linux, CNG on Windows): FIPS 180-2's
// vectors, a file larger than one read block, and the object starting over after hex().
#include "helpers.hpp"
#include "util/sha256.hpp"

#include <catch2/catch.hpp>

using namespace gpucfg;

TEST_CASE("sha256: known vectors, files, reuse") {
  CHECK(util::sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(util::sha256_hex("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  util::Sha256 h;
  std::string million(1000000, 'a');
  h.update(million.data(), million.size());
  CHECK(h.hex() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  h.update("abc", 3); // after hex() the object hashes from scratch
  CHECK(h.hex() == util::sha256_hex("abc"));

  test::TempDir dir;
  auto file = dir.path() / "three-mib";
  {
    std::ofstream out(file, std::ios::binary);
    for (int i = 0; i < 3; ++i)
      out << million << std::string(48576, 'a'); // 3 x 1 MiB of 'a'
  }
  std::string three(3 << 20, 'a');
  CHECK(util::sha256_file(file.string()) == util::sha256_hex(three));
  CHECK_FALSE(util::sha256_file((dir.path() / "absent").string()));
}
