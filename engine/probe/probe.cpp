#include "probe/probe.hpp"

#include "util/strings.hpp"

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

} // namespace

Facts gather(const Host& host, const ProbeOptions& options) {
  Facts f;
  f.root = host.root();
  f.platform = gather_platform(host);
  f.driver = gather_driver(host);
  gather_toolkits(host, f);
  gather_cudnn(host, f);
  auto cache = read_ld_cache(host);
  std::set<std::string> names = sonames_present(host, f);
  names.insert(options.libraries.begin(), options.libraries.end());
  for (const auto& n : names)
    f.loader.push_back(resolve_library(host, n, cache, f));
  for (const auto& r : f.loader) {
    std::set<std::string> reals;
    for (const auto& c : r.candidates)
      reals.insert(c.realpath);
    if (reals.size() > 1)
      f.warnings.push_back(r.name + ": " + std::to_string(reals.size()) +
                           " different files on the loader's path; " + r.chosen +
                           " wins (gpucfg why " + r.name + ")");
  }
  f.compilers = gather_compilers(host);
  // Interpreters are run to build environments, so they are this computer's, --root or not (as
  // ldconfig -r is): a scratch root has none, and one under it could not run here anyway.
  f.pythons = host.root() == "/" ? gather_pythons(host) : gather_pythons(*make_local_host("/"));
  if (options.frameworks) f.frameworks = gather_frameworks(host, options.framework_timeout);
  return f;
}

} // namespace gpucfg::probe
