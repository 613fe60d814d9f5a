#include "probe/parsers.hpp"
#include "probe/probe.hpp"
#include "util/os.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"
#include "verify/verifier.hpp"

#include <chrono>
#include <memory>

namespace gpucfg::verify {

nlohmann::json load_probe(const std::string& path, const std::string& stem) {
  nlohmann::json j = {{"path", path}};
#ifdef GPUCFG_SANITIZED
  // Under AddressSanitizer a library's own dlopen of a sibling by name loses the library's
  // $ORIGIN runpath (the interceptor makes it the executable's call): cuDNN 9's libcudnn.so.9
  // then cannot open libcudnn_graph.so.9 and aborts. The instrumented build (scripts/sanitize.sh)
  // opens that sibling by its full path first, so the name is found loaded, as the plain
  // loader finds it through $ORIGIN. Release builds load the library exactly as it is.
  std::unique_ptr<util::DynamicLibrary> sibling;
  if (auto so = path.rfind(".so."); stem == "libcudnn" && so != std::string::npos) {
    std::string graph = path.substr(0, path.rfind('/') + 1) + "libcudnn_graph" + path.substr(so);
    sibling = std::make_unique<util::DynamicLibrary>(graph);
  }
#endif
  util::DynamicLibrary lib(path);
  if (!lib.loaded()) {
    j["error"] = lib.error().empty() ? "it did not load" : lib.error();
    return j;
  }
  if (stem == "libcudnn") {
    using GetVersion = std::size_t (*)();
    if (auto fn = reinterpret_cast<GetVersion>(lib.symbol("cudnnGetVersion")))
      j["cudnn_version"] = fn();
  }
  if (stem == "libcudart") {
    using Ver = int (*)(int*);
    int rt = 0, drv = 0;
    auto runtime = reinterpret_cast<Ver>(lib.symbol("cudaRuntimeGetVersion"));
    auto driver = reinterpret_cast<Ver>(lib.symbol("cudaDriverGetVersion"));
    if (runtime) runtime(&rt);
    if (driver) driver(&drv);
    j["runtime"] = rt;
    j["driver"] = drv;
  }
  return j;
}

} // namespace gpucfg::verify

namespace gpucfg::verify::detail {

namespace {

// Runs the load probe for one library in a process of its own and returns the JSON it printed.
// A library whose loading crashes (a cuDNN sub-library that lacks a symbol aborts the process)
// takes that process down, not gpucfg: *why then says how it ended.
std::optional<nlohmann::json> in_child(const std::vector<std::string>& command,
                                       const std::string& path, const std::string& stem,
                                       int timeout_s, std::string* why) {
  std::vector<std::string> argv = command;
  argv.push_back(path);
  argv.push_back(stem);
  util::ProcessOptions po;
  po.timeout = std::chrono::seconds(timeout_s);
  po.err = util::Output::discard; // a library's own chatter is not the report
  auto r = util::run_process(argv, po);
  if (!r.started) return *why = "could not start " + argv.front(), std::nullopt;
  if (r.timed_out)
    return *why = "timed out after " + std::to_string(timeout_s) + " s", std::nullopt;
  auto j = nlohmann::json::parse(r.output, nullptr, false);
  if (j.is_object() && r.exit_code == 0) return j;
  if (r.exit_code == -1) return *why = "loading it killed the process (a signal)", std::nullopt;
  return *why = "loading it ended the process with exit code " + std::to_string(r.exit_code) +
                " before it reported",
         std::nullopt;
}

// cudnnGetVersion: 8.x is major*1000+minor*100+patch, 9.x major*10000+minor*100+patch.
std::string cudnn_runtime(std::size_t rv) {
  std::size_t major = rv >= 90000 ? rv / 10000 : rv / 1000;
  std::size_t minor = rv >= 90000 ? (rv / 100) % 100 : (rv / 100) % 10;
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(rv % 100);
}

} // namespace

void Verifier::load_level() {
  std::vector<std::string> stems = {"libcudart"};
  if (promises("cublas")) stems.push_back("libcublas");
  if (s.cudnn) stems.push_back("libcudnn");
  if (!host.live()) {
    for (const auto& stem : stems)
      not_run("load", "load " + stem, "under --root: this computer's loader is not the root's");
    return;
  }
  for (const auto& stem : stems) {
    std::vector<std::string> dirs = stem == "libcudnn"
                                        ? lib_dirs(host, s.cudnn->prefix.value, windows)
                                        : std::vector<std::string>{libdir};
    std::string so, dir = dirs.empty() ? libdir : dirs.front();
    for (const auto& d : dirs)
      for (const auto& f : host.list(d))
        if (so.empty() && loadable_library(f, stem, windows)) {
          so = f;
          dir = d;
        }
    std::string check = "load " + stem;
    if (so.empty()) {
      add("load", check, false, "no " + stem + (windows ? " DLL in " : ".so.N in ") + dir);
      continue;
    }
    std::string path = dir + (windows ? "\\" : "/") + so, why;
    if (o.load_probe_command.empty()) {
      not_run("load", check, "no load probe program was given to run it in");
      continue;
    }
    auto j = in_child(o.load_probe_command, path, stem, o.timeout_s, &why);
    if (!j) {
      add("load", check, false, path + ": " + why);
      continue;
    }
    if (j->contains("error")) {
      add("load", check, false, "it did not load: " + j->value("error", std::string()));
      continue;
    }
    std::string detail = "loaded " + path;
    bool ok = true;
    if (stem == "libcudnn") {
      if (!j->contains("cudnn_version")) {
        ok = false;
        detail += ", but it has no cudnnGetVersion: not a cuDNN library";
      } else {
        std::string runtime = cudnn_runtime(j->value("cudnn_version", std::size_t{0}));
        (*j)["runtime_version"] = runtime;
        auto v = util::Version::parse(runtime);
        ok = v && v->has_prefix(s.cudnn->version.value.truncated(3));
        detail += ", cudnnGetVersion() = " + runtime +
                  (ok ? "" : ", not the manifest's " + s.cudnn->version.value.str());
      }
    }
    add("load", check, ok, detail, *j);
    if (stem == "libcudart") {
      int rt = j->value("runtime", 0), drv = j->value("driver", 0);
      // Without a driver there is nothing to compare the runtime with: not-run, not a pass.
      if (!drv)
        not_run("load", "runtime vs driver",
                "runtime " + std::to_string(rt) +
                    "; no NVIDIA driver answered, so nothing to "
                    "compare it with");
      else
        add("load", "runtime vs driver", drv >= rt,
            "runtime " + std::to_string(rt) + ", driver supports " + std::to_string(drv) +
                (drv >= rt ? "" : ": the driver is older than the runtime"));
    }
  }
}

} // namespace gpucfg::verify::detail
