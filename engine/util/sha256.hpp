// SHA-256 (OpenSSL on Linux, CNG on Windows: util/sha256_*.cpp): of a string, or of a file streamed
// in 1 MiB blocks so memory stays flat whatever the file's size.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

namespace gpucfg::util {

std::string sha256_hex(const std::string& data);
// nullopt when the file cannot be read.
std::optional<std::string> sha256_file(const std::string& path);

// Incremental hashing, for bytes that stream past once (downloads, archives being unpacked).
class Sha256 {
public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* data, std::size_t n);
  std::string hex(); // finishes; the object starts over afterwards

private:
  struct Impl;
  std::unique_ptr<Impl> m;
};

} // namespace gpucfg::util
