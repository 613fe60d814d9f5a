// Sha256 through OpenSSL's EVP interface (SHA-NI where the CPU has it).
#include "util/sha256_backend.hpp"

#include <openssl/evp.h>

namespace gpucfg::util {
namespace {

struct CtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

} // namespace

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
  return hex_digest(out, n);
}

} // namespace gpucfg::util
