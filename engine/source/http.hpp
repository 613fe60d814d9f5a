// One HTTP(S) download through libcurl into a file, resuming from what the file already holds.
// libcurl reads the proxy variables users set (http_proxy, https_proxy, all_proxy, no_proxy).
#pragma once

#include "source/fetch.hpp"

#include <string>

namespace gpucfg::source {

struct HttpResult {
  bool ok = false;
  bool retry = false; // worth trying again (network trouble, 5xx, 408, 429)
  long status = 0;
  std::string error;
};

HttpResult http_get(const std::string& url, const std::string& file, const FetchOptions& o,
                    Progress& progress);

} // namespace gpucfg::source
