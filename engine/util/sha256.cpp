#include "util/sha256.hpp"

#include <cstdio>
#include <fcntl.h>
#include <memory>
#include <openssl/evp.h>
#include <unistd.h>
#include <vector>

namespace gpucfg::util {
namespace {

std::string hex(const unsigned char* d, unsigned n) {
  static const char digits[] = "0123456789abcdef";
  std::string s;
  for (unsigned i = 0; i < n; ++i) {
    s += digits[d[i] >> 4];
    s += digits[d[i] & 15];
  }
  return s;
}

struct CtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

} // namespace

std::string sha256_hex(const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  EVP_Digest(data.data(), data.size(), out, &n, EVP_sha256(), nullptr);
  return hex(out, n);
}

struct Sha256::Impl {
  std::unique_ptr<EVP_MD_CTX, CtxFree> ctx{EVP_MD_CTX_new()};
};

Sha256::Sha256() : m(std::make_unique<Impl>()) {
  EVP_DigestInit_ex(m->ctx.get(), EVP_sha256(), nullptr);
}
Sha256::~Sha256() = default;

void Sha256::update(const void* data, std::size_t n) {
  EVP_DigestUpdate(m->ctx.get(), data, n);
}

std::string Sha256::hex() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  EVP_DigestFinal_ex(m->ctx.get(), out, &n);
  EVP_DigestInit_ex(m->ctx.get(), EVP_sha256(), nullptr);
  return util::hex(out, n);
}

std::optional<std::string> sha256_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  Sha256 hash;
  std::vector<char> buf(1 << 20);
  ssize_t r;
  while ((r = ::read(fd, buf.data(), buf.size())) > 0)
    hash.update(buf.data(), static_cast<std::size_t>(r));
  ::close(fd);
  if (r < 0) return std::nullopt;
  return hash.hex();
}

} // namespace gpucfg::util
