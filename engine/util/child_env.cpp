#include "util/process.hpp"

#include <algorithm>
#include <cstring>

namespace gpucfg::util {

bool allowed_for_children(const std::string& name) {
  static const char* const names[] = {
      "PATH",          "HOME",         "USER",          "LOGNAME",
      "SHELL",         "TERM",         "TZ",            "TMPDIR",
      "LANG",          "LANGUAGE",     "NO_COLOR",      "http_proxy",
      "https_proxy",   "no_proxy",     "all_proxy",     "HTTP_PROXY",
      "HTTPS_PROXY",   "NO_PROXY",     "ALL_PROXY",     "SSL_CERT_FILE",
      "SSL_CERT_DIR",  "CUDA_VISIBLE_DEVICES",          "CUDA_DEVICE_ORDER",
      "NVIDIA_VISIBLE_DEVICES",        "NVIDIA_DRIVER_CAPABILITIES",
      // Windows' own (gpucfg.exe's children need them to start at all).
      "SystemRoot",    "SYSTEMROOT",   "windir",        "WINDIR",
      "ComSpec",       "PATHEXT",      "TEMP",          "TMP",
      "USERPROFILE",   "ProgramData",  "ProgramFiles",  "ProgramFiles(x86)",
  };
  if (name.rfind("LC_", 0) == 0) return true;
#ifdef GPUCFG_SANITIZED
  // A sanitizer build re-runs itself (the load checks) and its children must keep the options
  // the test run set (leak reports off); release builds never pass these.
  if (name == "ASAN_OPTIONS" || name == "UBSAN_OPTIONS" || name == "LSAN_OPTIONS") return true;
#endif
  return std::any_of(std::begin(names), std::end(names),
                     [&](const char* n) { return name == n; });
}

} // namespace gpucfg::util
