#include "platform/platform.hpp"
#include "probe/elf.hpp"
#include "probe/parsers.hpp"
#include "probe/probe.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"
#include "verify/verifier.hpp"

#include <algorithm>
#include <dlfcn.h>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <set>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace gpucfg::verify::detail {

namespace fs = std::filesystem;

void Verifier::load_level() {
  if (!host.live()) {
    for (const char* c : {"load libcudart", "load libcublas", "load libcudnn"})
      not_run("load", c, "under --root");
    return;
  }
  for (const char* stem : {"libcudart", "libcublas", "libcudnn"}) {
    if (std::string(stem) == "libcudnn" && !s.cudnn) continue;
    std::vector<std::string> dirs = std::string(stem) == "libcudnn"
                                        ? lib_dirs(host, s.cudnn->prefix.value)
                                        : std::vector<std::string>{libdir};
    std::string so, dir = dirs.empty() ? libdir : dirs.front();
    for (const auto& d : dirs)
      for (const auto& f : host.list(d))
        if (so.empty() && probe::library_stem(f) == stem && is_soname(f)) {
          so = f;
          dir = d;
        }
    std::string check = std::string("load ") + stem;
    if (so.empty()) {
      add("load", check, false, "no " + std::string(stem) + ".so.N in " + dir);
      continue;
    }
    void* h = dlopen((dir + "/" + so).c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!h) {
      add("load", check, false, std::string("dlopen failed: ") + dlerror());
      continue;
    }
    nlohmann::json data = {{"path", dir + "/" + so}};
    std::string detail = "loaded " + dir + "/" + so;
    bool ok = true;
    if (std::string(stem) == "libcudnn") {
      using GetVersion = std::size_t (*)();
      if (auto fn = reinterpret_cast<GetVersion>(dlsym(h, "cudnnGetVersion"))) {
        std::size_t rv = fn();
        // cudnnGetVersion: 8.x is major*1000+minor*100+patch, 9.x major*10000+minor*100+patch.
        std::size_t major = rv >= 90000 ? rv / 10000 : rv / 1000;
        std::size_t minor = rv >= 90000 ? (rv / 100) % 100 : (rv / 100) % 10;
        std::string runtime =
            std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(rv % 100);
        data["runtime_version"] = runtime;
        auto v = util::Version::parse(runtime);
        ok = v && v->has_prefix(s.cudnn->version.value.truncated(3));
        detail += ", cudnnGetVersion() = " + runtime +
                  (ok ? "" : ", not the manifest's " + s.cudnn->version.value.str());
      }
    }
    if (std::string(stem) == "libcudart") {
      using Ver = int (*)(int*);
      int rt = 0, drv = 0;
      if (auto fn = reinterpret_cast<Ver>(dlsym(h, "cudaRuntimeGetVersion"))) fn(&rt);
      if (auto fn = reinterpret_cast<Ver>(dlsym(h, "cudaDriverGetVersion"))) fn(&drv);
      data["runtime"] = rt;
      data["driver"] = drv;
      detail += ", runtime " + std::to_string(rt) + ", driver supports " +
                (drv ? std::to_string(drv) : "nothing (no driver)");
      if (drv && drv < rt) {
        ok = false;
        detail += ": the driver is older than the runtime";
      }
    }
    dlclose(h);
    add("load", check, ok, detail, data);
  }
}

} // namespace gpucfg::verify::detail
