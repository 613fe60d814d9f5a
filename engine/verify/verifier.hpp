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

  // The host compiler nvcc may use: the default one when the manifest's range admits it (or
  // names none), else an installed g++-N within the range, given to nvcc as -ccbin (gcc-10
  // beside a system gcc 12). nullopt, with *why, when there is none.
  struct HostCompiler {
    std::string ccbin; // "" for nvcc's default
    std::string detail;
  };
  std::optional<HostCompiler> host_compiler(std::string* why) {
    for (const auto& hc : s.requires_.host_compiler) {
      if (hc.os != s.platform->os_name() || hc.compiler != "gcc") continue;
      const probe::Compiler* found = nullptr;
      for (const auto& c : facts.compilers)
        if (c.name == "g++") found = &c;
      auto cv = found ? util::Version::parse(found->version) : std::nullopt;
      if (cv && hc.range.contains(*cv))
        return HostCompiler{"", "gcc " + found->version + " against " + hc.range.str()};
      for (int n = 30; n >= 4; --n) {
        std::string path = "/usr/bin/g++-" + std::to_string(n);
        if (host.is_executable(path) && hc.range.contains(util::Version({unsigned(n)})))
          return HostCompiler{host.host_path(path),
                              (found ? "gcc " + found->version : std::string("no default g++")) +
                                  " is outside " + hc.range.str() + "; nvcc uses " + path +
                                  " (-ccbin)"};
      }
      *why = (found ? "gcc " + found->version + " is outside " + hc.range.str()
                    : std::string("no g++ was found")) +
             " and no g++-N within " + hc.range.str() +
             " is installed (apt-get install g++-N for an N in " + hc.range.str() + ")";
      return std::nullopt;
    }
    return HostCompiler{"", ""};
  }

  void static_level(); // static.cpp
  void components();
  // The CUDA components the manifest promises besides nvcc (cuda.components; the runtime and
  // cuBLAS when it lists none), and whether it promises one.
  std::vector<std::string> promised_components() const;
  bool promises(const std::string& component) const;
  std::vector<std::string> stack_dirs();
  std::vector<std::string> promised_libraries();
  void elf_closure();
  void load_level();                                              // load.cpp
  std::string build(const std::string& name, std::string* error); // compute.cpp
  std::string results_key(const std::string& bin);
  std::string stack_identity();
  void compute_level();
  void framework_level(); // framework.cpp
  void mapped_libraries(const std::vector<std::string>& libs, const std::string& env_dir);
};

} // namespace gpucfg::verify::detail
