// What the dynamic loader would open for a library name, and the chain it walks to get there.
#include "platform/platform.hpp"
#include "probe/probe.hpp"
#include "util/strings.hpp"

#include <set>

namespace gpucfg::probe {
namespace {

// glibc's trusted default folders on Debian/Ubuntu multiarch and on RPM-style systems.
const std::vector<std::string>& default_dirs() {
  static const std::vector<std::string> dirs = {"/lib/x86_64-linux-gnu",
                                                "/usr/lib/x86_64-linux-gnu",
                                                "/lib64",
                                                "/usr/lib64",
                                                "/lib",
                                                "/usr/lib"};
  return dirs;
}

bool under(const std::string& path, const std::string& dir) {
  return util::starts_with(path, dir) && (path.size() == dir.size() || path[dir.size()] == '/');
}

// A version for a candidate whose file name has none, from the copy or toolkit that holds it.
std::string version_of(const std::string& real, const Facts& facts) {
  std::string v = library_name_version(basename(real));
  if (util::split(v, '.').size() >= 3) return v;
  for (const auto& c : facts.cudnn)
    for (const auto& l : c.libraries)
      if (l.realpath == real && !c.version.empty())
        return c.version + " (cuDNN copy in " + c.lib_dir + ")";
  // A toolkit's version is not its libraries' (CUDA 13.0.88 ships cuFFT 12.0.0.61): say only
  // where the file is.
  for (const auto& t : facts.toolkits)
    if (under(real, t.realpath))
      return (v.empty() ? std::string("?") : v) + " (the file name says no more; in the CUDA " +
             t.version + " toolkit " + t.realpath + ")";
  return v;
}

} // namespace

std::vector<LdCacheEntry> read_ld_cache(const Host& host) {
  return parse_ld_so_cache(host.read("/etc/ld.so.cache", 16 << 20).value_or(""));
}

Resolution resolve_library(const Host& host, const std::string& name,
                           const std::vector<LdCacheEntry>& cache, const Facts& facts) {
  Resolution r;
  r.name = name;
  std::set<std::string> listed;
  auto add = [&](const std::string& path, const std::string& via) {
    std::string real = host.resolve(path);
    if (!listed.insert(real).second) return; // the same file reached again (/lib is /usr/lib)
    r.candidates.push_back({path, real, via, version_of(real, facts)});
    if (r.chosen.empty()) r.chosen = path;
  };

  r.steps.push_back(
      "the loading program's DT_RPATH (searched before LD_LIBRARY_PATH) and DT_RUNPATH (after it, "
      "before the cache; torch's wheels use it): not known here");
  std::string ld = host.env("LD_LIBRARY_PATH").value_or("");
  if (ld.empty()) {
    r.steps.push_back("LD_LIBRARY_PATH: not set");
  } else {
    r.steps.push_back("LD_LIBRARY_PATH: " + ld);
    for (const auto& dir : util::split(ld, ':'))
      if (!dir.empty() && host.is_file(join(dir, name)))
        add(join(dir, name), "LD_LIBRARY_PATH " + dir);
  }
  bool arm = platform::host().arch() == "aarch64";
  std::size_t hits = 0;
  for (const auto& e : cache)
    if (e.name == name && (arm ? e.aarch64() : e.x86_64())) {
      ++hits;
      add(e.path, "ld.so.cache");
    }
  r.steps.push_back("/etc/ld.so.cache: " + std::to_string(cache.size()) + " entries, " +
                    std::to_string(hits) + " for " + name);
  for (const auto& dir : default_dirs())
    if (host.is_file(join(dir, name))) add(join(dir, name), "default folder " + dir);
  r.steps.push_back("default folders: " + util::join(default_dirs(), ", "));
  r.steps.push_back(r.chosen.empty() ? "result: not found; dlopen(\"" + name + "\") fails"
                                     : "result: " + r.chosen);
  return r;
}

} // namespace gpucfg::probe
