// Sha256 through Windows' Cryptography API: Next Generation (bcrypt.dll), so the Windows build
// ships no OpenSSL. The algorithm provider is opened once per process.
#include "util/sha256_backend.hpp"

// clang-format off
#include <windows.h>
#include <bcrypt.h>
// clang-format on
#include <algorithm>
#include <stdexcept>

namespace gpucfg::util {
namespace {

BCRYPT_ALG_HANDLE provider() {
  static BCRYPT_ALG_HANDLE alg = [] {
    BCRYPT_ALG_HANDLE h = nullptr;
    if (BCryptOpenAlgorithmProvider(&h, BCRYPT_SHA256_ALGORITHM, nullptr, 0) != 0)
      throw std::runtime_error("CNG has no SHA-256 provider");
    return h;
  }();
  return alg;
}

BCRYPT_HASH_HANDLE fresh() {
  BCRYPT_HASH_HANDLE h = nullptr;
  if (BCryptCreateHash(provider(), &h, nullptr, 0, nullptr, 0, 0) != 0)
    throw std::runtime_error("BCryptCreateHash failed");
  return h;
}

} // namespace

struct Sha256::Impl {
  BCRYPT_HASH_HANDLE hash = fresh();
  ~Impl() { BCryptDestroyHash(hash); }
};

Sha256::Sha256() : m(std::make_unique<Impl>()) {}
Sha256::~Sha256() = default;

void Sha256::update(const void* data, std::size_t n) {
  auto* p = static_cast<const unsigned char*>(const_cast<void*>(data));
  while (n > 0) { // BCryptHashData takes a ULONG length
    ULONG chunk = static_cast<ULONG>(std::min<std::size_t>(n, 1u << 30));
    BCryptHashData(m->hash, const_cast<PUCHAR>(p), chunk, 0);
    p += chunk;
    n -= chunk;
  }
}

std::string Sha256::hex() {
  unsigned char out[32];
  BCryptFinishHash(m->hash, out, sizeof out, 0);
  BCryptDestroyHash(m->hash);
  m->hash = fresh(); // the object starts over, as the header promises
  return hex_digest(out, sizeof out);
}

} // namespace gpucfg::util
