// Facts: what the probe read off a machine, each with the evidence it came from. Saved as JSON
// (schemas/facts.schema.json, `format_version`), so a CI runner without a GPU can plan for a
// real host from its recorded facts. Plain data; see probe.hpp for how it is gathered.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace gpucfg::probe {

// Where a fact came from: "file:/usr/local/cuda-13.0/include/cudnn_version.h",
// "nvml:nvmlSystemGetDriverVersion", "command:/usr/local/cuda/bin/nvcc --version", "env:CUDA_HOME".
using Evidence = std::string;

struct Reading { // one source's answer, kept even when another source won
  std::string value;
  Evidence evidence;
};

struct PlatformFacts {
  std::string id, os, arch, distro, distro_version, kernel;
  std::string hostname; // which machine a saved facts file is (fleet tables, review comments)
  Evidence evidence;
};

struct Gpu {
  unsigned index = 0;
  std::string name, uuid, compute_capability; // "9.0"
  unsigned long long memory_bytes = 0;
};

// A driver package dpkg has (nvidia-driver, nvidia-kernel-dkms, cuda-drivers-560, ...).
struct DriverPackage {
  std::string name, version, state; // state: dpkg's (installed, half-configured, ...)
};

struct DriverFacts {
  bool present = false;
  std::string version, max_cuda, kernel_module; // max_cuda "13.0"; kernel_module proprietary|open
  Evidence evidence;
  std::vector<Gpu> gpus;
  std::string absent_reason; // why no driver was found, when present is false
  // What the package manager installed, beside what is loaded: the driver packages, the driver
  // version they install ("535.216.01"), and whether the loaded module is another one (the
  // packages changed since boot: a reboot loads theirs).
  std::vector<DriverPackage> packages{};
  std::string installed_version{};
  bool reboot_needed = false;
};

struct Toolkit {
  std::string path;     // as found
  std::string realpath; // links followed
  std::string version;  // the best reading, e.g. "13.0.88"
  Evidence version_evidence;
  std::vector<Reading> readings;       // every source's version
  std::vector<std::string> components; // nvcc, cudart, cublas, …, cudnn
  std::vector<std::string> found_by;   // "/usr/local/cuda-*", "PATH", "CUDA_HOME", …
  // The forward-compatibility driver library the toolkit ships (compat/libcuda.so.580.65.06,
  // from NVIDIA's cuda-compat package): it lets a newer runtime run on an older driver, and
  // one older than the driver must never be put before it. Empty when there is none.
  std::string compat_libcuda, compat_version;
};

struct Selector {
  std::string name;    // "PATH nvcc", "/usr/local/cuda", "CUDA_HOME", "CUDA_PATH", …
  std::string value;   // what it says
  std::string toolkit; // the toolkit realpath it selects, empty when none
};

struct CudnnLibrary {
  std::string file, realpath, version; // version from the file name, may be empty
};

struct CudnnCopy {
  std::string location; // toolkit, system, python, conda, LD_LIBRARY_PATH, ld.so.cache
  std::string lib_dir;
  std::string header; // cudnn_version.h or cudnn.h used for the version, may be empty
  std::string version;
  Evidence version_evidence;
  std::vector<CudnnLibrary> libraries;
  std::vector<std::string> problems; // sub-library skew, header/library mismatch
};

struct Candidate {
  std::string path, realpath, via, version; // via: LD_LIBRARY_PATH, ld.so.cache, default path
};

struct Resolution {
  std::string name;                  // "libcudnn.so.9"
  std::string chosen;                // the path the loader would open, empty when none
  std::vector<Candidate> candidates; // in search order; chosen is the first
  std::vector<std::string> steps;    // the chain walked, for `gpucfg why`
};

struct Compiler {
  std::string name, path, version;
  Evidence evidence;
};

struct FrameworkBuild {
  std::string name, version, cuda,
      cudnn; // as the framework reports them (cuDNN 91900 style for torch)
  bool gpu_visible = false;
  std::string error;                  // import failed: the message
  std::vector<std::string> libraries; // cuDNN / runtime files its process mapped
};

struct PythonEnv {
  std::string interpreter, python_version;
  std::vector<FrameworkBuild> builds;
  std::string error;
};

// A Python interpreter found on the machine, which can build a framework environment.
struct Python {
  std::string path;     // as found (on PATH or in a usual folder)
  std::string realpath; // the file it is
  std::string version;  // X.Y from the file's name, or X.Y.Z from running it
  std::string evidence; // file:<realpath> | command:<path> -V
};

// Something that steers where libraries or compilers are found, besides the loader's walk:
// an /etc/ld.so.conf.d file (its folders joined by ':'), LIBRARY_PATH, CUDAHOSTCXX, NVCC_*.
struct SearchSetting {
  std::string name, value, evidence;
};

// What gpucfg manages on the machine: its current generation's record (plan::Generation's JSON)
// and the managed paths that no longer looked as recorded when the facts were taken (kind, size,
// mtime or link target differ). A plan from saved facts uses it to tell a converged host from a
// new or drifted one. Filled by the session (the state folder is exec's); generation 0: none.
struct ManagedFacts {
  int generation = 0;
  nlohmann::json record = nlohmann::json::object();
  std::vector<std::string> drifted;
};

struct Facts {
  int format_version = 1;
  std::string root = "/";
  PlatformFacts platform;
  DriverFacts driver;
  std::vector<Toolkit> toolkits;
  std::vector<Selector> selectors;
  std::vector<CudnnCopy> cudnn;
  std::vector<Resolution> loader;
  std::vector<Compiler> compilers;
  std::vector<Python> pythons;
  std::vector<PythonEnv> frameworks; // only with --frameworks
  std::vector<SearchSetting> search;
  std::vector<std::string> warnings;
  ManagedFacts managed;
};

nlohmann::ordered_json to_json(const Facts& f);
// Reads a saved facts file; throws nlohmann::json::exception on a malformed one.
Facts facts_from_json(const nlohmann::json& j);

} // namespace gpucfg::probe
