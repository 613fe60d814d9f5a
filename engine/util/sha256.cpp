// What SHA-256 does the same on every platform: hex digits, strings, files streamed in 1 MiB
// blocks. The hashing itself is a backend: sha256_openssl.cpp (Linux: OpenSSL, SHA-NI where the
// CPU has it) or sha256_cng.cpp (Windows: the system's CNG, no OpenSSL to ship).
#include "util/sha256.hpp"

#include "util/sha256_backend.hpp"

#include <filesystem>
#include <fstream>
#include <vector>

namespace gpucfg::util {

std::string hex_digest(const unsigned char* d, std::size_t n) {
  static const char digits[] = "0123456789abcdef";
  std::string s;
  for (std::size_t i = 0; i < n; ++i) {
    s += digits[d[i] >> 4];
    s += digits[d[i] & 15];
  }
  return s;
}

std::string sha256_hex(const std::string& data) {
  Sha256 hash;
  hash.update(data.data(), data.size());
  return hash.hex();
}

std::optional<std::string> sha256_file(const std::string& path) {
  std::ifstream in(std::filesystem::u8path(path), std::ios::binary);
  if (!in) return std::nullopt;
  Sha256 hash;
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (in.gcount() > 0) hash.update(buf.data(), static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) return std::nullopt;
  return hash.hex();
}

} // namespace gpucfg::util
