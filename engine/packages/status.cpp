#include "packages/manager.hpp"
#include "packages/version.hpp"
#include "util/strings.hpp"

namespace gpucfg::packages {

std::string describe(const Change& c) {
  if (c.to.empty()) return "remove " + c.name + " " + c.from;
  if (c.from.empty()) return "install " + c.name + " " + c.to;
  int order = compare_versions(c.to, c.from);
  const char* verb = order > 0 ? "upgrade " : order < 0 ? "downgrade " : "reinstall ";
  return verb + c.name + " " + c.from + " -> " + c.to;
}

InstalledMap parse_status(const std::string& text) {
  InstalledMap out;
  std::string name, version, status;
  auto flush = [&] {
    // "Status: want flag state", e.g. "hold ok installed", "install ok half-configured".
    auto words = util::split(status, ' ');
    if (!name.empty() && !version.empty() && words.size() == 3 && words[2] != "not-installed") {
      Installed i;
      i.version = version;
      i.state = words[2];
      i.hold = words[0] == "hold";
      out[name] = i;
    }
    name.clear(), version.clear(), status.clear();
  };
  for (const auto& line : util::split(text, '\n')) {
    if (line.empty()) {
      flush();
    } else if (util::starts_with(line, "Package: ")) {
      name = util::trim(line.substr(9));
    } else if (util::starts_with(line, "Version: ")) {
      version = util::trim(line.substr(9));
    } else if (util::starts_with(line, "Status: ")) {
      status = util::trim(line.substr(8));
    }
  }
  flush();
  return out;
}

} // namespace gpucfg::packages
