#include "util/registry.hpp"

namespace gpucfg::util {

std::optional<RegistryValue> read_env_var(const std::string&, const std::string&,
                                          std::string* error) {
  *error = "no Windows registry on this system";
  return std::nullopt;
}

std::string write_env_var(const std::string&, const std::string&,
                          const std::optional<RegistryValue>&) {
  return "no Windows registry on this system: Windows variables are set by gpucfg.exe";
}

void broadcast_env_change() {}

bool registry_available() {
  return false;
}

} // namespace gpucfg::util
