#include "source/settings.hpp"

#include "platform/platform.hpp"
#include "yaml/fields.hpp"
#include "yaml/reader.hpp"

#include <cstdlib>
#include <filesystem>

namespace gpucfg::source {

// Machine-wide settings: /etc/gpucfg/config.yaml; %ProgramData%\gpucfg\config.yaml on Windows.
std::string default_config_path() {
  if (platform::host().os() != platform::Os::windows) return "/etc/gpucfg/config.yaml";
  const char* pd = std::getenv("ProgramData");
  return std::string(pd && *pd ? pd : "C:\\ProgramData") + "\\gpucfg\\config.yaml";
}

Settings load_settings(util::SourceSet& sources, util::Diagnostics& diags) {
  Settings s;
  if (const char* env = std::getenv("GPUCFG_MIRROR"); env && *env) {
    std::string cur;
    for (const char* p = env;; ++p) {
      if (*p == '\0' || *p == ' ' || *p == ',' || *p == '\n' || *p == '\t') {
        if (!cur.empty()) s.mirrors.push_back(cur);
        cur.clear();
        if (*p == '\0') break;
      } else {
        cur += *p;
      }
    }
    s.origin = "GPUCFG_MIRROR";
    return s;
  }
  const char* cfg = std::getenv("GPUCFG_CONFIG");
  std::string path = cfg && *cfg ? cfg : default_config_path();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return s;
  s.origin = path;
  auto root = yaml::read_yaml_file(path, sources, diags);
  if (!root) return s;
  if (root->is_null()) return s;
  yaml::Fields f(*root, "config", diags);
  if (const yaml::Value* m = f.get("mirrors"))
    for (const yaml::Value* e : yaml::scalar_list(*m, "mirrors", diags))
      s.mirrors.push_back(e->scalar);
  return s;
}

} // namespace gpucfg::source
