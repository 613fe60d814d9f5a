#include "util/process.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>

namespace gpucfg::util {

bool allowed_for_children(const std::string& name) {
  static const char* const names[] = {
      "PATH",
      "HOME",
      "USER",
      "LOGNAME",
      "SHELL",
      "TERM",
      "TZ",
      "TMPDIR",
      "LANG",
      "LANGUAGE",
      "NO_COLOR",
      "http_proxy",
      "https_proxy",
      "no_proxy",
      "all_proxy",
      "HTTP_PROXY",
      "HTTPS_PROXY",
      "NO_PROXY",
      "ALL_PROXY",
      "SSL_CERT_FILE",
      "SSL_CERT_DIR",
      "CUDA_VISIBLE_DEVICES",
      "CUDA_DEVICE_ORDER",
      "NVIDIA_VISIBLE_DEVICES",
      "NVIDIA_DRIVER_CAPABILITIES",
      // Windows' own (gpucfg.exe's children need them to start at all).
      "SystemRoot",
      "SYSTEMROOT",
      "windir",
      "WINDIR",
      "ComSpec",
      "PATHEXT",
      "TEMP",
      "TMP",
      "USERPROFILE",
      "ProgramData",
      "ProgramFiles",
      "ProgramFiles(x86)",
  };
  if (name.rfind("LC_", 0) == 0) return true;
#ifdef GPUCFG_SANITIZED
  // A sanitizer build re-runs itself (the load checks) and its children must keep the options
  // the test run set (leak reports off); release builds never pass these.
  if (name == "ASAN_OPTIONS" || name == "UBSAN_OPTIONS" || name == "LSAN_OPTIONS") return true;
#endif
  return std::any_of(std::begin(names), std::end(names), [&](const char* n) { return name == n; });
}

std::vector<std::string> with_overrides(std::vector<std::string> base,
                                        const std::vector<std::string>& overrides) {
  auto name_of = [](const std::string& kv) {
    std::string n = kv.substr(0, kv.find('='));
#ifdef _WIN32
    std::transform(n.begin(), n.end(), n.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
#endif
    return n;
  };
  for (const auto& kv : overrides) {
    std::string name = name_of(kv);
    base.erase(std::remove_if(base.begin(), base.end(),
                              [&](const std::string& b) { return name_of(b) == name; }),
               base.end());
    base.push_back(kv);
  }
  return base;
}

} // namespace gpucfg::util
