#include "pyenv/windows.hpp"

#include "util/strings.hpp"

#include <algorithm>
#include <cctype>

namespace gpucfg::pyenv {

namespace {

bool absolute(const std::string& p) {
  return (p.size() > 2 && p[1] == ':' && (p[2] == '\\' || p[2] == '/')) ||
         util::starts_with(p, "\\\\");
}

std::string parent(const std::string& path) {
  auto slash = path.find_last_of("/\\");
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

} // namespace

std::string windows_path(const std::string& path) {
  std::string out = path;
  std::replace(out.begin(), out.end(), '/', '\\');
  return out;
}

std::string pyvenv_cfg(const std::string& home, const std::string& version) {
  return "home = " + windows_path(home) +
         "\ninclude-system-site-packages = false\nversion = " + version + "\n";
}

std::string environment_pth(const std::string& base_pth, const std::string& home) {
  std::string out;
  for (const auto& raw : util::split(base_pth, '\n')) {
    std::string line = util::trim(raw);
    if (line.empty() || line[0] == '#' || line == "import site") continue;
    std::string p = windows_path(line);
    if (!absolute(p)) p = windows_path(home) + (p == "." ? "" : "\\" + p);
    out += p + "\n";
  }
  return out + "import site\n";
}

bool copied_into_scripts(const std::string& name) {
  std::string n = util::ascii_lower(name);
  if (n == "python.exe" || n == "pythonw.exe") return true;
  return util::ends_with(n, ".dll") &&
         (util::starts_with(n, "python") || util::starts_with(n, "vcruntime"));
}

disk::Status make_windows_skeleton(disk::Disk& d, const std::string& dir, const std::string& python,
                                   const std::string& version) {
  std::string home = parent(python);
  for (const char* sub : {"/Scripts", "/Lib/site-packages"})
    if (auto s = disk::make_dirs(d, dir + sub); !s.empty()) return s;
  for (const auto& name : d.list(home)) {
    if (util::ends_with(util::ascii_lower(name), "._pth")) {
      auto text = d.read(home + "/" + name);
      if (!text) return "cannot read " + home + "\\" + name;
      if (auto s = d.write(dir + "/Scripts/" + name, environment_pth(*text, home), 0644);
          !s.empty())
        return s;
    } else if (copied_into_scripts(name)) {
      std::string sha;
      if (auto s = d.copy(home + "/" + name, dir + "/Scripts/" + name, 0755, &sha); !s.empty())
        return s;
    }
  }
  if (!d.lstat(dir + "/Scripts/python.exe")) return "no python.exe beside " + python;
  return d.write(dir + "/pyvenv.cfg", pyvenv_cfg(home, version), 0644);
}

#ifndef _WIN32
const std::string& windows_launcher() {
  static const std::string none;
  return none;
}
#endif

} // namespace gpucfg::pyenv
