#include "source/layout.hpp"

#include "util/strings.hpp"

#include <cctype>
#include <vector>

namespace gpucfg::source {
namespace {

std::vector<std::string> split_path(const std::string& p) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= p.size()) {
    std::size_t end = p.find('/', start);
    if (end == std::string::npos) end = p.size();
    out.push_back(p.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string rest_after(const std::string& p, std::size_t components) {
  std::size_t pos = 0;
  for (std::size_t i = 0; i < components; ++i) {
    pos = p.find('/', pos);
    if (pos == std::string::npos) return "";
    ++pos;
  }
  return p.substr(pos);
}

// lib64/x -> lib/x: one library folder; lib64 becomes a link to it once the tree is built.
std::string fold_lib64(const std::string& p) {
  if (p == "lib64") return "lib";
  if (util::starts_with(p, "lib64/")) return "lib/" + p.substr(6);
  return p;
}

// The folders an installed toolkit has at its top: where an installer entry's own path begins.
bool toolkit_top(const std::string& part) {
  static const char* tops[] = {"bin",
                               "include",
                               "lib",
                               "lib64",
                               "nvvm",
                               "extras",
                               "libnvvp",
                               "nvml",
                               "share",
                               "src",
                               "tools",
                               "targets",
                               "compute-sanitizer",
                               "pkgconfig",
                               "version.json",
                               "version.txt",
                               "nsightee_plugins",
                               "jre",
                               "libnsight"};
  for (const char* t : tops)
    if (part == t) return true;
  return false;
}

// An installer entry's path inside the toolkit: what follows the component folders.
std::string installer_rest(Layout layout, const std::string& relative) {
  auto parts = split_path(relative);
  if (layout == Layout::runfile) {
    // builds/<component>/<rest>; builds/version.json is the toolkit's own (11.1+); anything
    // else (the installer, the driver .run) is left out.
    if (relative == "builds/version.json") return "version.json";
    if (parts.size() < 3 || parts[0] != "builds") return "";
    return rest_after(relative, 2);
  }
  // <component>/<part>/<rest>, or <component>/<rest> where the part level is missing.
  for (std::size_t i = 1; i < parts.size() && i <= 2; ++i)
    if (toolkit_top(parts[i])) return rest_after(relative, i);
  return "";
}

} // namespace

std::string installer_component(Layout layout, const std::string& relative) {
  auto parts = split_path(relative);
  if (layout == Layout::runfile) {
    if (relative == "builds/version.json") return "cuda-toolkit"; // always taken
    return parts.size() >= 2 && parts[0] == "builds" ? parts[1] : "";
  }
  return parts.size() >= 2 ? parts[0] : "";
}

bool component_selected(const std::vector<std::string>& wanted, const std::string& folder) {
  if (wanted.empty()) return true;
  if (folder == "cuda-toolkit") return true; // 10.1-10.2: one folder holds the whole toolkit
  for (const auto& w : wanted)
    if (folder == w || folder == "cuda_" + w || folder == "lib" + w) return true;
  return false;
}

std::optional<Layout> parse_layout(const std::string& name) {
  if (name.empty() || name == "auto") return Layout::automatic;
  if (name == "redist") return Layout::redist;
  if (name == "cudnn-legacy") return Layout::cudnn_legacy;
  if (name == "wheel") return Layout::wheel;
  if (name == "plain") return Layout::plain;
  if (name == "runfile") return Layout::runfile;
  if (name == "windows-installer") return Layout::windows_installer;
  if (name == "python") return Layout::python;
  return std::nullopt;
}

const char* to_string(Layout l) {
  switch (l) {
  case Layout::automatic:
    return "auto";
  case Layout::redist:
    return "redist";
  case Layout::cudnn_legacy:
    return "cudnn-legacy";
  case Layout::wheel:
    return "wheel";
  case Layout::plain:
    return "plain";
  case Layout::runfile:
    return "runfile";
  case Layout::windows_installer:
    return "windows-installer";
  case Layout::python:
    return "python";
  }
  return "?";
}

std::optional<std::string> safe_relative(const std::string& name, std::string* why) {
  if (name.empty()) {
    *why = "empty name";
    return std::nullopt;
  }
  if (name.find('\0') != std::string::npos) {
    *why = "NUL in the name";
    return std::nullopt;
  }
  if (name[0] == '/' || name[0] == '\\') {
    *why = "absolute path";
    return std::nullopt;
  }
  if (name.size() >= 2 && name[1] == ':') {
    *why = "drive-letter path";
    return std::nullopt;
  }
  if (name.find('\\') != std::string::npos) {
    // A backslash is a separator to Windows tools: "..\\x" must not slip through as one name.
    *why = "backslash in the name";
    return std::nullopt;
  }
  std::string out;
  for (const auto& part : split_path(name)) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      *why = "'..' in the path";
      return std::nullopt;
    }
    out += (out.empty() ? "" : "/") + part;
  }
  // "./" (what `tar czf x.tgz -C dir .` writes first) names the root: "" with no error, and the
  // caller leaves it out.
  return out;
}

std::optional<Layout> detect_layout(const std::string& relative) {
  std::string first = relative.substr(0, relative.find('/'));
  if (util::ends_with(first, "-archive")) return Layout::redist;
  if (first == "cuda") return Layout::cudnn_legacy;
  if (first == "nvidia" || util::ends_with(first, ".dist-info")) return Layout::wheel;
  if (relative.find('/') != std::string::npos) return Layout::plain;
  return std::nullopt; // a top-level file says nothing yet
}

std::string map_entry(Layout layout, const std::string& relative, bool is_dir,
                      const std::string& component) {
  std::string rest;
  switch (layout) {
  case Layout::redist:
  case Layout::cudnn_legacy:
    rest = rest_after(relative, 1);
    break;
  case Layout::wheel: {
    auto parts = split_path(relative);
    if (util::ends_with(parts[0], ".dist-info")) return "dist-info/" + relative;
    if (parts[0] != "nvidia" || parts.size() < 3) return ""; // nvidia/__init__.py, …
    if (parts.back() == "__init__.py" || relative.find("/__pycache__") != std::string::npos)
      return "";
    rest = rest_after(relative, 2);
    break;
  }
  case Layout::runfile:
  case Layout::windows_installer:
    // Installers carry no license file per component folder worth keeping apart; their top-level
    // files (EULA, installer scripts) are not part of the toolkit.
    return fold_lib64(installer_rest(layout, relative));
  case Layout::python:
    return map_python_entry(relative, "");
  case Layout::plain:
  case Layout::automatic:
    rest = relative;
    break;
  }
  if (rest.empty()) return "";
  bool packaged = layout != Layout::plain && layout != Layout::automatic;
  if (packaged && !is_dir && rest.find('/') == std::string::npos)
    return "share/licenses/" + (component.empty() ? std::string("unnamed") : component) + "/" +
           rest;
  return fold_lib64(rest);
}

std::string map_python_entry(const std::string& relative, const std::string& site) {
  auto join = [](const std::string& dir, const std::string& rest) {
    return dir.empty() ? rest : rest.empty() ? dir : dir + "/" + rest;
  };
  auto parts = split_path(relative);
  if (parts.empty()) return "";
  if (!util::ends_with(parts[0], ".data")) return join(site, relative);
  if (parts.size() < 2) return ""; // the .data folder itself
  std::string dist = parts[0].substr(0, parts[0].find('-'));
  std::string rest = rest_after(relative, 2);
  const std::string& scheme = parts[1];
  if (scheme == "purelib" || scheme == "platlib") return join(site, rest);
  if (scheme == "scripts") return rest.empty() ? "" : join("bin", rest);
  if (scheme == "data") return rest;
  if (scheme == "headers") {
    // pip's place: include/site/python3.11/<dist>/, the version taken from site-packages' path.
    std::string py = site.size() > 4 ? split_path(site).at(1) : "python3";
    return join("include/site/" + py + "/" + dist, rest);
  }
  return ""; // an unknown scheme is not installed (pip refuses the wheel; we leave it out)
}

std::string pep503_name(const std::string& project) {
  std::string out;
  for (char c : project) {
    if (c == '-' || c == '_' || c == '.') {
      if (out.empty() || out.back() != '-') out += '-';
    } else {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  return out;
}

unsigned installed_mode(unsigned mode, bool is_dir) {
  return is_dir ? (mode | 0700) & 0755 : mode & 0755;
}

std::string target_arch(const std::string& platform_id) {
  if (platform_id == "linux-x86_64") return "x86_64-linux";
  if (platform_id == "linux-sbsa") return "sbsa-linux";
  if (platform_id == "linux-aarch64") return "aarch64-linux";
  return "";
}

} // namespace gpucfg::source
