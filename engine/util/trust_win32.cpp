// Windows: gpucfg does not read ACLs; every path counts as trusted (ARCHITECTURE.md says so).
#include "util/trust.hpp"

#include <cstdlib>

namespace gpucfg::util {

std::optional<std::string> untrusted(const std::string&) {
  return std::nullopt;
}

bool single_user() {
  const char* e = std::getenv("GPUCFG_SINGLE_USER");
  return e && std::string(e) == "1";
}

} // namespace gpucfg::util
