#pragma once

namespace gpucfg::util {
// gpucfg's version, from the CMake project version.
const char* version();
} // namespace gpucfg::util
