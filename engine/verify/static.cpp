#include "probe/elf.hpp"
#include "probe/parsers.hpp"
#include "probe/probe.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"
#include "verify/verifier.hpp"

#include <algorithm>
#include <filesystem>
#include <set>
#include <sys/stat.h>

namespace gpucfg::verify::detail {

namespace fs = std::filesystem;

namespace {

// What each CUDA component puts in a toolkit: a header to compile against and a library to link
// (by its stem; the soname is found by listing). cupti keeps both under extras/CUPTI in the
// runfile's layout.
struct ComponentFiles {
  const char* name;
  const char* header;
  const char* library;
};
const ComponentFiles k_components[] = {
    {"cudart", "cuda_runtime_api.h", "libcudart"},
    {"cublas", "cublas_v2.h", "libcublas"},
    {"cufft", "cufft.h", "libcufft"},
    {"curand", "curand.h", "libcurand"},
    {"cusolver", "cusolverDn.h", "libcusolver"},
    {"cusparse", "cusparse.h", "libcusparse"},
    {"nvrtc", "nvrtc.h", "libnvrtc"},
    {"cupti", "cupti.h", "libcupti"},
    {"npp", "npp.h", "libnppc"},
    {"nvjpeg", "nvjpeg.h", "libnvjpeg"},
    {"nvjitlink", "nvJitLink.h", "libnvJitLink"},
    {"nccl", "nccl.h", "libnccl"},
};

} // namespace

std::vector<std::string> Verifier::promised_components() const {
  std::vector<std::string> out;
  for (const auto& c : s.cuda->components)
    if (c.value != "nvcc") out.push_back(c.value);
  // A manifest that lists no components promises a whole toolkit: the runtime and cuBLAS are
  // what the compute workloads need of it.
  if (s.cuda->components.empty()) out = {"cudart", "cublas"};
  return out;
}

bool Verifier::promises(const std::string& component) const {
  auto c = promised_components();
  return std::find(c.begin(), c.end(), component) != c.end();
}

// Each component the manifest lists, nothing more: its header and a library soname that leads
// to a real file (a dangling link is no library).
void Verifier::components() {
  for (const auto& name : promised_components()) {
    const ComponentFiles* f = nullptr;
    for (const auto& c : k_components)
      if (name == c.name) f = &c;
    std::string check = "component " + name;
    if (!f) {
      not_run("static", check, "gpucfg has no file list for this component");
      continue;
    }
    std::vector<std::string> found, missing;
    std::string header;
    const char* sep = windows ? "\\" : "/";
    for (const char* inc : {"include", "targets/x86_64-linux/include", "extras/CUPTI/include"})
      if (header.empty() && host.is_file(prefix + sep + inc + sep + f->header))
        header = prefix + sep + inc + sep + f->header;
    (header.empty() ? missing : found)
        .push_back(header.empty() ? std::string("include/") + f->header : header);
    std::vector<std::string> dirs = lib_dirs(host, prefix, windows);
    dirs.push_back(prefix + (windows ? "\\extras\\CUPTI\\lib64" : "/extras/CUPTI/lib64"));
    std::string lib, dangling;
    for (const auto& d : dirs)
      for (const auto& file : host.list(d))
        if (lib.empty() && loadable_library(file, f->library, windows)) {
          if (host.is_file(d + sep + file)) // follows links: a dangling one is not a file
            lib = d + sep + file;
          else if (dangling.empty())
            dangling = d + sep + file;
        }
    if (!lib.empty())
      found.push_back(lib);
    else if (!dangling.empty())
      missing.push_back(dangling + " (a link to nothing)");
    else
      missing.push_back(std::string("no ") + f->library + (windows ? " DLL in " : ".so.N in ") +
                        libdir);
    add("static", check, missing.empty(),
        missing.empty() ? util::join(found, ", ") : "missing: " + util::join(missing, "; "));
  }
}

void Verifier::static_level() {
  const probe::Toolkit* t = nullptr;
  for (const auto& k : facts.toolkits)
    if (k.realpath == host.resolve(prefix) || k.path == prefix) t = &k;
  auto v = s.cuda->version.value;
  if (!t)
    add("static", "toolkit", false, "no CUDA toolkit at " + prefix);
  else {
    auto have = util::Version::parse(t->version);
    bool ok = have && agrees(*have, v);
    add("static", "toolkit", ok,
        "CUDA " + t->version + " at " + prefix + " [" + t->version_evidence + "]" +
            (ok ? "" : "; the manifest wants " + v.str()));
  }
  // nvcc is required wherever the manifest does not say the toolkit comes without it. A stack
  // from NVIDIA's cu11/cu12 wheels lists its components without nvcc (those wheels ship ptxas
  // only): there a missing nvcc is not-run, and the workloads are built by this computer's C++
  // compiler instead (compute.cpp).
  bool lists_nvcc = s.cuda->components.empty();
  for (const auto& c : s.cuda->components)
    lists_nvcc = lists_nvcc || c.value == "nvcc";
  const std::string nvcc_path = prefix + (windows ? "\\bin\\nvcc.exe" : "/bin/nvcc");
  bool nvcc = host.is_file(nvcc_path) && (windows || host.is_executable(nvcc_path));
  if (!nvcc && !lists_nvcc)
    not_run("static", "nvcc",
            "no nvcc in " + prefix +
                "/bin, and the manifest's components do not list it; the workloads are built by "
                "this computer's C++ compiler");
  else
    add("static", "nvcc", nvcc, nvcc ? nvcc_path : "no " + nvcc_path);
  components();
  if (s.cudnn) {
    const probe::CudnnCopy* c = nullptr;
    // The copy in one of the prefix's own library folders (not one deeper down: /usr is the
    // prefix of /usr/local/cuda-13.0 too).
    for (const auto& k : facts.cudnn)
      for (const auto& d : lib_dirs(host, s.cudnn->prefix.value, windows))
        if (!c && host.resolve(k.lib_dir) == host.resolve(d)) c = &k;
    auto want = s.cudnn->version.value;
    if (!c)
      add("static", "cudnn", false, "no cuDNN under " + s.cudnn->prefix.value);
    else {
      auto have = util::Version::parse(c->version);
      bool ok = have && agrees(*have, want) && c->problems.empty();
      add("static", "cudnn", ok,
          "cuDNN " + c->version + " in " + c->lib_dir + " [" + c->version_evidence + "]" +
              (have && agrees(*have, want) ? "" : "; the manifest wants " + want.str()) +
              (c->problems.empty() ? "" : "; " + util::join(c->problems, "; ")));
    }
  }
  for (const auto& f : s.files)
    if (!f.sha256.empty()) {
      auto sha = util::sha256_file(host.host_path(f.path.value)).value_or("");
      add("static", "file " + f.path.value, sha == f.sha256,
          sha.empty() ? "missing" : "sha256 " + sha.substr(0, 16));
    }
  std::string why;
  if (!nvcc && !windows) {
    // The manifest's host-compiler range is nvcc's rule; without nvcc any C++17 compiler builds
    // the workloads' host code.
    if (auto b = builder(&why))
      add("static", "host compiler", true,
          b->path + " builds the workloads (no nvcc, so the "
                    "manifest's range, which is nvcc's, does not apply)");
    else
      not_run("static", "host compiler", why + "; compute cannot build");
  } else if (auto hc = host_compiler(&why); hc && !hc->detail.empty()) {
    add("static", "host compiler", true, hc->detail);
  } else if (!hc) { // the machine lacks a compiler; that says nothing of the stack
    not_run("static", "host compiler", why + "; compute cannot build");
  }
  if (windows) // PE imports are not walked yet: said, not passed
    not_run(
        "static", "DLL dependency closure",
        "gpucfg walks ELF dependencies; a DLL's imports are checked by loading it (level load)");
  else
    elf_closure();
}

// Every DT_NEEDED of the promised libraries, transitively, resolved the way the loader would:
// the library's RUNPATH ($ORIGIN expanded), the stack's folders, the ld.so cache, the defaults.
// The stack's library folders: the toolkit's, and cuDNN's when it has its own prefix.
std::vector<std::string> Verifier::stack_dirs() {
  std::vector<std::string> dirs = {libdir};
  if (s.cudnn)
    for (const auto& d : lib_dirs(host, s.cudnn->prefix.value, windows))
      if (d != libdir) dirs.push_back(d);
  return dirs;
}

// The libraries the stack promises (cudart, cuBLAS, cuDNN and their sub-libraries), by soname.
std::vector<std::string> Verifier::promised_libraries() {
  std::vector<std::string> out;
  std::vector<std::string> stems = {"libcudart"};
  if (promises("cublas")) stems.push_back("libcublas");
  if (s.cudnn) stems.push_back("libcudnn");
  for (const auto& d : stack_dirs())
    for (const auto& f : host.list(d))
      for (const auto& stem : stems)
        if (loadable_library(f, stem, windows, true)) {
          out.push_back(d + "/" + f);
          break;
        }
  return out;
}

void Verifier::elf_closure() {
  std::vector<std::string> todo = promised_libraries();
  std::vector<std::string> dirs = stack_dirs();
  if (todo.empty())
    return not_run("static", "ELF dependency closure", "no promised library found to walk");
  auto cache = probe::read_ld_cache(host);
  std::set<std::string> seen, unresolved;
  std::size_t walked = 0;
  while (!todo.empty()) {
    std::string lib = todo.back();
    todo.pop_back();
    std::string real = host.resolve(lib);
    if (!seen.insert(real).second) continue;
    auto deps = elf_deps(host.host_path(real));
    if (!deps) continue;
    ++walked;
    for (const auto& need : deps->needed) {
      std::vector<std::string> search;
      for (auto rp : deps->runpath) {
        if (util::starts_with(rp, "$ORIGIN")) rp = probe::dirname(real) + rp.substr(7);
        search.push_back(rp);
      }
      search.insert(search.end(), dirs.begin(), dirs.end());
      std::string found;
      for (const auto& d : search)
        if (found.empty() && host.is_file(d + "/" + need)) found = d + "/" + need;
      for (const auto& e : cache)
        if (found.empty() && e.name == need && e.x86_64()) found = e.path;
      for (const char* d :
           {"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64"})
        if (found.empty() && host.is_file(std::string(d) + "/" + need))
          found = std::string(d) + "/" + need;
      if (found.empty())
        unresolved.insert(need + " (needed by " + probe::basename(real) + ")");
      else
        todo.push_back(found);
    }
  }
  // A scratch --root holds the stack but no system: its C library and friends cannot be
  // found there, which proves nothing about the stack. Those are not-run; a missing CUDA or
  // cuDNN library (libcu*, libnv*) still fails.
  bool no_system = !host.is_file("/lib/x86_64-linux-gnu/libc.so.6") &&
                   !host.is_file("/usr/lib/x86_64-linux-gnu/libc.so.6") &&
                   !host.is_file("/lib64/libc.so.6") && !host.is_file("/usr/lib64/libc.so.6");
  std::vector<std::string> stack_missing, system_missing;
  for (const auto& u : unresolved)
    (util::starts_with(u, "libcu") || util::starts_with(u, "libnv") || !no_system ? stack_missing
                                                                                  : system_missing)
        .push_back(u);
  if (!stack_missing.empty() || system_missing.empty())
    add("static", "ELF dependency closure", stack_missing.empty(),
        stack_missing.empty()
            ? std::to_string(walked) + " libraries walked, every DT_NEEDED resolved"
            : "unresolved: " + util::join(stack_missing, ", "));
  else
    not_run("static", "ELF dependency closure",
            std::to_string(walked) +
                " libraries walked, every CUDA/cuDNN library resolved; the root holds no "
                "system libraries to resolve the rest against (" +
                std::to_string(system_missing.size()) + " names, e.g. " + system_missing.front() +
                ")");
}

} // namespace gpucfg::verify::detail
