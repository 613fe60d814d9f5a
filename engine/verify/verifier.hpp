// The verifier's parts, one file per level (static.cpp, load.cpp, compute.cpp,
// framework.cpp): what they share. Internal to engine/verify.
#pragma once

#include "platform/platform.hpp"
#include "probe/elf.hpp"
#include "verify/verify.hpp"

#include <optional>
#include <string>
#include <vector>

namespace gpucfg::verify::detail {

// libcudnn.so.9, not libcudnn.so (the linker's name) nor libcudnn.so.9.19.0 (the real file).
bool is_soname(const std::string& file);
// Whether `file` is the library `stem` names as the loader opens it: libcudnn.so.9 on Linux;
// cudnn64_8.dll on Windows (the stem without "lib", then "64_"). `prefix_only`: any library whose
// stem starts so (libcudnn_ops.so.9, cudnn_ops_infer64_8.dll).
bool loadable_library(const std::string& file, const std::string& stem, bool windows,
                      bool prefix_only = false);
// Versions that agree as far as both go: a header's 8.1.0 is the manifest's 8.1.0.77.
bool agrees(const util::Version& a, const util::Version& b);
// The ELF headers of a library (a path on this computer), read through a private mapping.
std::optional<probe::ElfDeps> elf_deps(const std::string& host_path);
// Where a prefix keeps its libraries: lib64 in NVIDIA's trees, lib/<triplet> in Debian's /usr.
// Windows: its bin folder, where DLLs are.
std::vector<std::string> lib_dirs(const probe::Host& host, const std::string& prefix,
                                  bool windows = false);

struct Verifier {
  const manifest::Stack& s;
  const probe::Facts& facts;
  const probe::Host& host;
  const Options& o;
  Report report;
  std::string prefix, libdir;
  bool windows = false; // the stack is for Windows: DLLs in bin, no ELF, nvcc.exe

  void add(const std::string& level, const std::string& check, bool ok, const std::string& detail,
           nlohmann::json data = nlohmann::json::object()) {
    report.results.push_back({level, check, ok ? "pass" : "fail", detail, std::move(data)});
  }
  void not_run(const std::string& level, const std::string& check, const std::string& why) {
    report.results.push_back({level, check, "not-run", why, nlohmann::json::object()});
  }

  // The soname of a toolkit library in the prefix (libcublas.so.13), found by listing.
  std::string soname(const std::string& stem) {
    for (const auto& f : host.list(libdir))
      if (loadable_library(f, stem, windows)) return f;
    return {};
  }

  // The C++ compilers of this computer, which builds the workloads: the facts' own, unless they
  // are a --root's (whose compilers are never run here; verify.cpp gathers this computer's).
  std::vector<probe::Compiler> compilers;
  const probe::Compiler* compiler(const std::string& name) const {
    for (const auto& c : compilers)
      if (c.name == name) return &c;
    return nullptr;
  }

  // The host compiler nvcc may use: the default one when the manifest's range admits it (or
  // names none), else an installed g++-N within the range, given to nvcc as -ccbin (gcc-10
  // beside a system gcc 12). nullopt, with *why, when there is none.
  struct HostCompiler {
    std::string ccbin; // "" for nvcc's default
    std::string detail;
  };
  std::optional<HostCompiler> host_compiler(std::string* why) const;

  // What builds the workloads: the stack's nvcc where it has one, else this computer's C++
  // compiler against the stack's headers and libraries (the workloads are host code calling the
  // runtime, cuBLAS and cuDNN: no device code, so nothing needs nvcc). compute.cpp.
  struct Builder {
    bool nvcc = false;
    std::string path;  // on this computer
    std::string ccbin; // nvcc's -ccbin, when the default compiler is outside the range
    std::string name;  // what reports say built it
  };
  std::optional<Builder> builder(std::string* why) const;

  void static_level(); // static.cpp
  void components();
  // The CUDA components the manifest promises besides nvcc (cuda.components; the runtime and
  // cuBLAS when it lists none), and whether it promises one.
  std::vector<std::string> promised_components() const;
  bool promises(const std::string& component) const;
  std::vector<std::string> stack_dirs();
  probe::RunResult run_on_stack_path(const std::vector<std::string>& argv,
                                     const std::vector<std::string>& env);
  std::vector<std::string> promised_libraries();
  void elf_closure();
  void load_level(); // load.cpp
  std::string build(const std::string& name, const Builder& b, std::string* error);
  std::string results_key(const std::string& bin);
  probe::RunResult run_workload(const std::string& bin, const std::string& gpu);
  std::string stack_identity();
  void compute_level();
  void framework_level(); // framework.cpp
  void mapped_libraries(const std::vector<std::string>& libs, const std::string& env_dir,
                        const std::string& fw);
};

} // namespace gpucfg::verify::detail
