// Platform, driver and Pythons (host compilers: compilers.cpp).
#include "platform/platform.hpp"
#include "probe/nvml.hpp"
#include "probe/probe.hpp"
#include "util/os.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <regex>
#include <set>

namespace gpucfg::probe {

std::vector<std::string> path_dirs(const Host& host) {
  std::vector<std::string> out;
  for (const auto& d : util::split(host.env("PATH").value_or(""), ':'))
    if (!d.empty() && d[0] == '/') out.push_back(d);
  return out;
}

std::optional<std::string> which(const Host& host, const std::string& name) {
  for (const auto& d : path_dirs(host))
    if (host.is_executable(join(d, name))) return join(d, name);
  return std::nullopt;
}

PlatformFacts gather_platform(const Host& host) {
  PlatformFacts p;
  const platform::Platform& self = platform::host();
  p.id = self.id();
  p.os = self.os_name();
  p.arch = self.arch();
  auto os = parse_os_release(
      host.read("/etc/os-release").value_or(host.read("/usr/lib/os-release").value_or("")));
  p.distro = os.count("ID") ? os["ID"] : "";
  p.distro_version = os.count("VERSION_ID") ? os["VERSION_ID"] : "";
  p.kernel = util::trim(host.read("/proc/sys/kernel/osrelease").value_or(""));
  // The live kernel's name; under --root the root's /etc/hostname (the kernel's is this one's).
  p.hostname = util::trim(host.read(host.live() ? "/proc/sys/kernel/hostname" : "/etc/hostname")
                              .value_or(host.read("/etc/hostname").value_or("")));
  p.evidence = "file:/etc/os-release, file:/proc/sys/kernel/osrelease";
  return p;
}

DriverFacts driver_from_nvml(const NvmlReport& r) {
  DriverFacts d;
  d.present = true;
  d.version = r.driver_version;
  if (r.cuda_driver_version > 0)
    d.max_cuda = std::to_string(r.cuda_driver_version / 1000) + "." +
                 std::to_string((r.cuda_driver_version % 1000) / 10);
  d.evidence = "nvml:" + (r.library.empty() ? std::string(util::k_nvml_library) : r.library);
  for (const auto& g : r.gpus)
    d.gpus.push_back({g.index, g.name, g.uuid,
                      std::to_string(g.cc_major) + "." + std::to_string(g.cc_minor),
                      g.memory_total});
  return d;
}

DriverFacts gather_driver(const Host& host) {
  DriverFacts d;
  std::string nvml_why;
  // NVML answers for the live machine only; a --root folder has no driver to ask.
  if (host.live()) {
    if (auto r = query_nvml(&nvml_why)) d = driver_from_nvml(*r);
  } else {
    nvml_why = "not asked under --root";
  }
  if (auto text = host.read("/proc/driver/nvidia/version")) {
    if (auto proc = parse_driver_proc(*text)) {
      d.kernel_module = proc->module;
      if (!d.present) {
        d.present = true;
        d.version = proc->version;
        d.evidence = "file:/proc/driver/nvidia/version";
      }
    }
  }
  if (!d.present) {
    if (auto sys = host.read("/sys/module/nvidia/version"); sys && !util::trim(*sys).empty()) {
      d.present = true;
      d.version = util::trim(*sys);
      d.evidence = "file:/sys/module/nvidia/version";
    }
  }
  if (!d.present)
    d.absent_reason = "no NVIDIA driver: NVML " + nvml_why + "; no /proc/driver/nvidia/version";
  // The packages beside the module: what a reboot would load, and whether that is another driver.
  if (auto status = host.read("/var/lib/dpkg/status", 64 << 20)) {
    auto found = parse_driver_packages(*status);
    for (const auto& [name, version, state] : found)
      d.packages.push_back({name, version, state});
    d.installed_version = packaged_driver_version(found);
    d.reboot_needed = d.present && !d.installed_version.empty() && d.installed_version != d.version;
  }
  return d;
}

std::vector<SearchSetting> gather_search(const Host& host) {
  std::vector<SearchSetting> out;
  for (const auto& f : host.list("/etc/ld.so.conf.d")) {
    if (!util::ends_with(f, ".conf")) continue;
    std::string path = join("/etc/ld.so.conf.d", f);
    std::vector<std::string> dirs;
    for (const auto& line : util::split(host.read(path, 1 << 16).value_or(""), '\n')) {
      std::string t = util::trim(line.substr(0, line.find('#')));
      if (!t.empty()) dirs.push_back(t);
    }
    out.push_back({path, util::join(dirs, ":"), "file:" + path});
  }
  for (const char* v : {"LD_LIBRARY_PATH", "LIBRARY_PATH", "CPATH", "CUDAHOSTCXX",
                        "NVCC_PREPEND_FLAGS", "NVCC_APPEND_FLAGS", "NVCC_CCBIN"})
    if (auto value = host.env(v); value && !value->empty())
      out.push_back({v, *value, "env:" + std::string(v)});
  return out;
}

std::vector<Python> gather_pythons(const Host& host) {
  std::vector<Python> out;
  std::vector<std::string> dirs = path_dirs(host);
  for (const char* d : {"/usr/bin", "/usr/local/bin"})
    dirs.push_back(d);
  // pyenv keeps each version apart, off PATH until selected: the usual place users build them.
  if (auto home = host.env("HOME"))
    for (const auto& v : host.list(*home + "/.pyenv/versions"))
      dirs.push_back(*home + "/.pyenv/versions/" + v + "/bin");
  static const std::regex name(R"(^python3(\.\d+)?$)"), real(R"(python(3\.\d+)$)");
  std::set<std::string> seen;
  for (const auto& dir : dirs) {
    auto files = host.list(dir);
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      if (!std::regex_match(f, name)) continue;
      std::string path = join(dir, f);
      if (!host.is_executable(path)) continue;
      Python p;
      p.path = path;
      p.realpath = host.resolve(path);
      if (p.realpath.find("/shims/") != std::string::npos || !seen.insert(p.realpath).second)
        continue; // pyenv's shims are scripts that pick a version by folder
      std::smatch m;
      std::string base = basename(p.realpath);
      if (std::regex_search(base, m, real)) {
        p.version = m[1].str();
        p.evidence = "file:" + p.realpath;
      } else {
        auto r = host.run({path, "-V"}, std::chrono::milliseconds(3000));
        std::string v = util::trim(r.output);
        if (r.exit_code != 0 || !util::starts_with(v, "Python 3.")) continue;
        p.version = v.substr(7);
        p.evidence = "command:" + path + " -V";
      }
      out.push_back(p);
    }
  }
  return out;
}

} // namespace gpucfg::probe
