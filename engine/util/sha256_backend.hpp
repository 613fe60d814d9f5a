// The per-platform half of util/sha256: Sha256's state, and the hex form both halves share.
#pragma once

#include "util/sha256.hpp"

#include <cstddef>
#include <string>

namespace gpucfg::util {

std::string hex_digest(const unsigned char* digest, std::size_t n);

} // namespace gpucfg::util
