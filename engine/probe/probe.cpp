#include "probe/probe.hpp"

#include "platform/platform.hpp"
#include "util/strings.hpp"
#include "util/version.hpp"

#include <algorithm>
#include <set>

namespace gpucfg::probe {
namespace {

// The libraries frameworks dlopen by soname; their names are taken from what the machine has
// (libcudnn.so.9 here, libcudnn.so.8 there), so each copy found is explained.
const char* k_resolved[] = {"libcudart", "libcublas",   "libcublasLt", "libcudnn", "libcufft",
                            "libcurand", "libcusolver", "libcusparse", "libnvrtc", "libnccl"};

std::set<std::string> sonames_present(const Host& host, const Facts& facts) {
  std::set<std::string> names;
  std::vector<std::string> dirs;
  for (const auto& t : facts.toolkits)
    for (const char* d : {"lib64", "lib"})
      dirs.push_back(join(t.realpath, d));
  for (const auto& c : facts.cudnn)
    dirs.push_back(c.lib_dir);
  for (const auto& dir : dirs)
    for (const auto& f : host.list(dir)) {
      std::string stem = library_stem(f), v = library_name_version(f);
      bool wanted = false;
      for (const char* lib : k_resolved)
        wanted = wanted || stem == lib;
      // Sonames carry one or two components (libcudnn.so.9, libcudart.so.11.0, CUDA 10.0's
      // libcublas.so.10.0); the real files carry three or more (libcudnn.so.8.1.0).
      if (wanted && !v.empty() && util::split(v, '.').size() <= 2) names.insert(f);
    }
  return names;
}

// A forward-compatibility libcuda (cuda-X/compat) chosen over the driver's own: newer than the
// driver it lets a newer runtime run; older, it must never be preferred.
std::string forward_compat_warning(const Facts& f) {
  for (const auto& r : f.loader) {
    if (r.name != "libcuda.so.1" || r.candidates.empty() || !f.driver.present) continue;
    const auto& c = r.candidates.front();
    std::string v = library_name_version(basename(c.realpath));
    auto chosen = util::Version::parse(v), driver = util::Version::parse(f.driver.version);
    if (!chosen || !driver || *chosen == *driver) return {};
    if (*chosen < *driver)
      return "libcuda.so.1: " + c.realpath + " (" + v + ") is chosen over the driver's own " +
             f.driver.version +
             ": a forward-compatibility libcuda older than the driver must "
             "never be preferred; take its folder off the loader's path";
    return "libcuda.so.1: forward compatibility in use: " + c.realpath + " (" + v + ") on driver " +
           f.driver.version;
  }
  return {};
}

} // namespace

std::string compat_relation(const Toolkit& t, const DriverFacts& driver) {
  auto compat = util::Version::parse(t.compat_version), have = util::Version::parse(driver.version);
  if (!compat || !have || !driver.present) return {};
  if (*compat == *have) return "the driver's own version";
  if (*compat < *have)
    return "older than the driver " + driver.version +
           ": never to be put before it on the loader's path";
  return "newer than the driver " + driver.version + ": lets this toolkit's runtime run on it";
}

void gather_named(const Host& host, Facts& facts, const std::string& toolkit_prefix,
                  const std::string& cudnn_prefix) {
  if (!toolkit_prefix.empty()) {
    std::string real = host.resolve(toolkit_prefix);
    bool known = std::any_of(facts.toolkits.begin(), facts.toolkits.end(),
                             [&](const Toolkit& t) { return t.realpath == real; });
    Facts named;
    if (!known) gather_toolkits(host, named, {toolkit_prefix});
    for (const auto& t : named.toolkits)
      if (t.realpath == real) facts.toolkits.push_back(t);
  }
  if (!cudnn_prefix.empty()) gather_cudnn_in(host, facts, cudnn_prefix);
}

Resolution explain_library(const Host& host, const std::string& name) {
  if (platform::host().os() == platform::Os::windows) {
    Facts f = gather_windows(host, {});
    return resolve_dll(host, name, f);
  }
  Facts facts;
  gather_toolkits(host, facts);
  gather_cudnn(host, facts);
  return resolve_library(host, name, read_ld_cache(host), facts);
}

Facts gather(const Host& host, const ProbeOptions& options) {
  if (platform::host().os() == platform::Os::windows) return gather_windows(host, options);
  Facts f;
  f.root = host.root();
  f.platform = gather_platform(host);
  f.driver = gather_driver(host);
  gather_toolkits(host, f);
  gather_cudnn(host, f);
  auto cache = read_ld_cache(host);
  std::set<std::string> names = sonames_present(host, f);
  names.insert(options.libraries.begin(), options.libraries.end());
  names.insert("libcuda.so.1"); // the driver's: which one loads decides what runs at all
  for (const auto& n : names) {
    auto r = resolve_library(host, n, cache, f);
    if (n == "libcuda.so.1" && r.chosen.empty()) continue; // no driver: said by the driver line
    f.loader.push_back(std::move(r));
  }
  if (auto w = forward_compat_warning(f); !w.empty()) f.warnings.push_back(w);
  for (const auto& r : f.loader) {
    std::set<std::string> reals;
    for (const auto& c : r.candidates)
      reals.insert(c.realpath);
    if (reals.size() > 1)
      f.warnings.push_back(r.name + ": " + std::to_string(reals.size()) +
                           " different files on the loader's path; " + r.chosen +
                           " wins (gpucfg why " + r.name + ")");
  }
  if (options.compilers) f.compilers = gather_compilers(host, options.cache_dir);
  f.search = gather_search(host);
  // Interpreters are run to build environments, so they are this computer's, --root or not (as
  // ldconfig -r is): a scratch root has none, and one under it could not run here anyway.
  if (options.pythons)
    f.pythons = host.root() == "/" ? gather_pythons(host) : gather_pythons(*make_local_host("/"));
  if (options.frameworks) f.frameworks = gather_frameworks(host, options.framework_timeout);
  for (const auto& refused : programs_refused())
    if (std::find(f.warnings.begin(), f.warnings.end(), refused) == f.warnings.end())
      f.warnings.push_back(refused);
  return f;
}

} // namespace gpucfg::probe
