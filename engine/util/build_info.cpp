#include "util/build_info.hpp"

namespace gpucfg::util {
const char* version() {
  return GPUCFG_VERSION;
}
} // namespace gpucfg::util
