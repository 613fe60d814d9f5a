// Gathering Facts from a Host: read-only, bounded in time, "absent" is a normal answer.
// Files are read and parsed (parsers.hpp); programs are run only where no file says the same
// thing (nvcc --version costs ~150 ms; version.json or dist-info costs microseconds).
#pragma once

#include "probe/facts.hpp"
#include "probe/host.hpp"
#include "probe/parsers.hpp"

#include <string>
#include <vector>

namespace gpucfg::probe {

struct ProbeOptions {
  std::vector<std::string> libraries; // extra names for loader resolution ("libcudnn.so.8")
  bool frameworks = false;            // run each Python on PATH to ask TensorFlow/PyTorch
  std::chrono::milliseconds framework_timeout{30000};
  // What costs a program run, gathered only when asked: a plan asks for compilers only when its
  // stack names requires.host_compiler, for Pythons only when it has python: or requires.python.
  bool compilers = true;
  bool pythons = true;
  // Where answers that cost a run are kept between runs (the store's folder); "": not kept.
  std::string cache_dir;
};

Facts gather(const Host& host, const ProbeOptions& options = {});

// How the dynamic loader would find `name` (glibc's order for a program without RUNPATH):
// LD_LIBRARY_PATH, then the ld.so cache, then the default folders. Every candidate is listed,
// the first one wins. `facts` supplies versions for files whose names carry none.
Resolution resolve_library(const Host& host, const std::string& name,
                           const std::vector<LdCacheEntry>& cache, const Facts& facts);

// Stages, exposed for tests and for `gpucfg why`.
PlatformFacts gather_platform(const Host& host);
DriverFacts gather_driver(const Host& host);
// Asked in parallel; with a cache_dir, a compiler whose file (path, size, mtime) was asked
// before answers from <cache_dir>/probe/compilers.json.
std::vector<Compiler> gather_compilers(const Host& host, const std::string& cache_dir = "");
// ld.so.conf.d files and the variables that steer library and compiler lookup.
std::vector<SearchSetting> gather_search(const Host& host);
// `named`: prefixes a manifest names, looked at besides the usual places.
void gather_toolkits(const Host& host, Facts& facts, const std::vector<std::string>& named = {});
// A toolkit's version.json (NVIDIA's; the SDK's and nvcc's versions), as readings of `t`.
void version_json_readings(const Host& host, const std::string& file, Toolkit& t);
// What a toolkit's forward-compatibility libcuda is to the driver: "newer than the driver …",
// "older than the driver …: never to be put before it", "" when either version is unknown.
std::string compat_relation(const Toolkit& t, const DriverFacts& driver);
void gather_cudnn(const Host& host, Facts& facts);
// Windows (gather_windows.cpp): everything gather() reads, the Windows way; and one DLL's
// resolution in the standard search order.
Facts gather_windows(const Host& host, const ProbeOptions& options);
// The driver as NVML reported it (both platforms' gatherers).
struct NvmlReport;
DriverFacts driver_from_nvml(const NvmlReport& r);
Resolution resolve_dll(const Host& host, const std::string& name, const Facts& facts);
// `gpucfg why NAME` on this platform: the loader's chain for a soname, the DLL search order for
// a DLL.
Resolution explain_library(const Host& host, const std::string& name);
// The prefixes a manifest names (empty: none), looked at where facts does not look: a toolkit at
// a prefix of its own (/opt/stack), a cuDNN in its own prefix. Nothing is added twice.
void gather_named(const Host& host, Facts& facts, const std::string& toolkit_prefix,
                  const std::string& cudnn_prefix);
// A cuDNN in a folder a manifest names as its own prefix (lib64/ or lib/ under it), found where
// no usual place or loader path leads; nothing is added for a folder facts already lists.
void gather_cudnn_in(const Host& host, Facts& facts, const std::string& prefix);
std::vector<LdCacheEntry> read_ld_cache(const Host& host);
// Python interpreters on PATH, in /usr/bin, /usr/local/bin and pyenv's versions folder.
std::vector<Python> gather_pythons(const Host& host);
// Virtual environments where people keep them, active or not (a folder with pyvenv.cfg): the
// H200's PyTorch lived in /opt/torch/.venv; gpucfg's own are under /opt/gpucfg/envs.
std::vector<std::string> usual_venvs(const Host& host);
std::vector<PythonEnv> gather_frameworks(const Host& host, std::chrono::milliseconds timeout_each);

// PATH split into folders, and the first executable `name` on it (a machine path).
std::vector<std::string> path_dirs(const Host& host);
std::optional<std::string> which(const Host& host, const std::string& name);

} // namespace gpucfg::probe
