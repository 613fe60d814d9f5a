#include "verify/verify.hpp"

#include "platform/platform.hpp"
#include "probe/elf.hpp"
#include "probe/parsers.hpp"
#include "probe/probe.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <dlfcn.h>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <set>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace gpucfg::verify {

namespace fs = std::filesystem;

int Report::count(const std::string& outcome) const {
  int n = 0;
  for (const auto& r : results)
    n += r.outcome == outcome;
  return n;
}

int level_rank(const std::string& level) {
  if (level == "static") return 0;
  if (level == "load") return 1;
  if (level == "compute") return 2;
  return 3;
}

nlohmann::ordered_json to_json(const Report& r) {
  nlohmann::ordered_json j;
  j["format_version"] = 1;
  j["passed"] = r.count("pass");
  j["failed"] = r.count("fail");
  j["not_run"] = r.count("not-run");
  for (const auto& x : r.results)
    j["results"].push_back({{"level", x.level},
                            {"check", x.check},
                            {"outcome", x.outcome},
                            {"detail", x.detail},
                            {"data", x.data}});
  return j;
}

namespace {

// libcudnn.so.9, not libcudnn.so (the linker's name) nor libcudnn.so.9.19.0 (the real file).
// (CUDA 11's runtime is libcudart.so.11.0, CUDA 10.0's libraries libcublas.so.10.0.)
bool is_soname(const std::string& file) {
  std::string v = probe::library_name_version(file);
  return !v.empty() && util::split(v, '.').size() <= 2;
}

// Versions that agree as far as both go: a header's 8.1.0 is the manifest's 8.1.0.77.
bool agrees(const util::Version& a, const util::Version& b) {
  return a.has_prefix(b) || b.has_prefix(a);
}

// The ELF headers of a library, read through a private mapping: no need to read 500 MB of
// libcublasLt to learn what it links against.
std::optional<probe::ElfDeps> elf_deps(const std::string& host_path) {
  int fd = ::open(host_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  std::optional<probe::ElfDeps> out;
  if (::fstat(fd, &st) == 0 && st.st_size > 0) {
    void* map =
        ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    if (map != MAP_FAILED) {
      out = probe::parse_elf_deps(
          std::string_view(static_cast<const char*>(map), static_cast<std::size_t>(st.st_size)));
      ::munmap(map, static_cast<std::size_t>(st.st_size));
    }
  }
  ::close(fd);
  return out;
}

// Where a prefix keeps its libraries: lib64 in NVIDIA's trees, lib/<triplet> in Debian's /usr.
std::vector<std::string> lib_dirs(const probe::Host& host, const std::string& prefix) {
  std::vector<std::string> out;
  for (const char* d : {"lib64", "lib", "lib/x86_64-linux-gnu", "lib/aarch64-linux-gnu"})
    if (host.is_dir(prefix + "/" + d)) out.push_back(prefix + "/" + d);
  return out;
}

struct Verifier {
  const manifest::Stack& s;
  const probe::Facts& facts;
  const probe::Host& host;
  const Options& o;
  Report report;
  std::string prefix, libdir;

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
      if (probe::library_stem(f) == stem && is_soname(f)) return f;
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
      *why = (found ? "gcc " + found->version : std::string("no g++")) + " is outside " +
             hc.range.str() + " and no g++-N within it is installed (apt-get install g++-N for " +
             "an N in " + hc.range.str() + ")";
      return std::nullopt;
    }
    return HostCompiler{"", ""};
  }

  void static_level() {
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
    // nvcc and a host compiler are required at a level that compiles, and wherever the
    // manifest does not say the toolkit comes without them. A stack from NVIDIA's cu11/cu12
    // wheels lists its components without nvcc (those wheels ship ptxas only) and verifies below
    // compute, or at framework level (the framework, not nvcc, is what it is for): there a missing
    // nvcc or compiler is not-run, with the reason.
    bool lists_nvcc = s.cuda->components.empty();
    for (const auto& c : s.cuda->components)
      lists_nvcc = lists_nvcc || c.value == "nvcc";
    const bool compiles = level_rank(o.level) == 2 || lists_nvcc;
    bool nvcc = host.is_executable(prefix + "/bin/nvcc");
    if (!nvcc && !compiles)
      not_run("static", "nvcc",
              "no nvcc in " + prefix +
                  "/bin, and the manifest's components do not list it; needed only to compile "
                  "(level compute)");
    else
      add("static", "nvcc", nvcc,
          nvcc ? prefix + "/bin/nvcc" : "no nvcc in " + prefix + "/bin: compute cannot build");
    for (const char* h : {"include/cuda_runtime_api.h", "include/cublas_v2.h"})
      add("static", std::string("header ") + h, host.is_file(prefix + "/" + h), prefix + "/" + h);
    for (const char* stem : {"libcudart", "libcublas"}) {
      std::string so = soname(stem);
      add("static", stem, !so.empty(),
          so.empty() ? "no " + std::string(stem) + ".so.N in " + libdir : libdir + "/" + so);
    }
    if (s.cudnn) {
      const probe::CudnnCopy* c = nullptr;
      // The copy in one of the prefix's own library folders (not one deeper down: /usr is the
      // prefix of /usr/local/cuda-13.0 too).
      for (const auto& k : facts.cudnn)
        for (const auto& d : lib_dirs(host, s.cudnn->prefix.value))
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
    auto hc = host_compiler(&why);
    if (hc && !hc->detail.empty())
      add("static", "host compiler", true, hc->detail);
    else if (!hc) // the machine lacks a compiler; that says nothing of the stack
      not_run("static", "host compiler", why + "; compute cannot build");
    elf_closure();
  }

  // Every DT_NEEDED of the promised libraries, transitively, resolved the way the loader would:
  // the library's RUNPATH ($ORIGIN expanded), the stack's folders, the ld.so cache, the defaults.
  // The stack's library folders: the toolkit's, and cuDNN's when it has its own prefix.
  std::vector<std::string> stack_dirs() {
    std::vector<std::string> dirs = {libdir};
    if (s.cudnn)
      for (const auto& d : lib_dirs(host, s.cudnn->prefix.value))
        if (d != libdir) dirs.push_back(d);
    return dirs;
  }

  // The libraries the stack promises (cudart, cuBLAS, cuDNN and their sub-libraries), by soname.
  std::vector<std::string> promised_libraries() {
    std::vector<std::string> out;
    for (const auto& d : stack_dirs())
      for (const auto& f : host.list(d))
        for (const char* stem : {"libcudart", "libcublas", "libcudnn"})
          if (util::starts_with(probe::library_stem(f), stem) && is_soname(f)) {
            out.push_back(d + "/" + f);
            break;
          }
    return out;
  }

  void elf_closure() {
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
      (util::starts_with(u, "libcu") || util::starts_with(u, "libnv") || !no_system
           ? stack_missing
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

  void load_level() {
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

  // Builds one workload with the stack's nvcc, cached by what goes into it.
  std::string build(const std::string& name, std::string* error) {
    std::string src = o.kernels_dir + "/" + name + ".cu", common = o.kernels_dir + "/common.cuh";
    std::string nvcc = prefix + "/bin/nvcc";
    std::string arch = "-arch=sm_75"; // the workloads' own code is host code calling the libraries
    if (!facts.driver.gpus.empty()) {
      std::string cc = facts.driver.gpus.front().compute_capability;
      cc.erase(std::remove(cc.begin(), cc.end(), '.'), cc.end());
      arch = "-arch=sm_" + cc;
    }
    // The stack's own headers and libraries, and a run path to them, so the run loads the stack.
    std::vector<std::string> argv = {
        nvcc,          "-O2",      "-std=c++17",      arch, "-I" + prefix + "/include",
        "-L" + libdir, "-Xlinker", "-rpath=" + libdir};
    if (s.cudnn && s.cudnn->prefix.value != prefix) {
      argv.push_back("-I" + s.cudnn->prefix.value + "/include");
      for (const auto& d : lib_dirs(host, s.cudnn->prefix.value)) {
        argv.push_back("-L" + d);
        argv.insert(argv.end(), {"-Xlinker", "-rpath=" + d});
      }
    }
    std::string why;
    if (auto hc = host_compiler(&why); hc && !hc->ccbin.empty())
      argv.insert(argv.end(), {"-ccbin", hc->ccbin});
    argv.insert(argv.end(), {src, "-lcublas", "-lcudnn", "-o"});
    std::string key =
        util::sha256_hex(util::join(argv, " ") + "\n" + util::sha256_file(src).value_or("") +
                         util::sha256_file(common).value_or("") +
                         util::sha256_file(host.host_path(nvcc)).value_or("") +
                         (s.cudnn ? s.cudnn->version.value.str() : ""));
    std::string out = o.cache_dir + "/" + key.substr(0, 24) + "/" + name;
    if (fs::exists(out)) return out;
    std::error_code ec;
    fs::create_directories(fs::path(out).parent_path(), ec);
    argv.push_back(out + ".tmp");
    auto r = host.run(argv, std::chrono::seconds(600));
    if (r.exit_code != 0) {
      *error = "nvcc failed: " + r.output.substr(0, 800);
      return {};
    }
    fs::rename(out + ".tmp", out, ec);
    return out;
  }

  // What a workload's results depend on: its binary (whose cache folder is named by the hash of
  // source, compiler and flags), the GPUs and driver, and the libraries it loads (real file,
  // size, mtime).
  std::string results_key(const std::string& bin) {
    std::string k = bin + "|" + facts.driver.version;
    for (const auto& g : facts.driver.gpus)
      k += "|" + g.uuid;
    for (const auto& lib : promised_libraries()) {
      std::string real = host.resolve(lib);
      auto st = host.lstat(real);
      k += "|" + real + ":" +
           (st ? std::to_string(st->size) + ":" + std::to_string(st->mtime_ns) : "?");
    }
    return util::sha256_hex(k).substr(0, 32);
  }

  void compute_level() {
    if (!host.is_executable(prefix + "/bin/nvcc")) {
      for (const char* k : {"device query", "memory bandwidth", "cublas gemm", "cudnn conv"})
        not_run("compute", k, "no nvcc in the stack (" + prefix + "/bin)");
      return;
    }
    std::string why;
    if (!host_compiler(&why)) {
      for (const char* k : {"device query", "memory bandwidth", "cublas gemm", "cudnn conv"})
        not_run("compute", k, why);
      return;
    }
    for (const char* name : {"device_query", "bandwidth", "gemm", "conv"}) {
      std::string error;
      std::string bin = build(name, &error);
      if (bin.empty()) {
        add("compute", std::string("build ") + name, false, error);
        continue;
      }
      add("compute", std::string("build ") + name, true,
          "built by " + prefix + "/bin/nvcc: " + bin);
      std::string key = results_key(bin), cached = o.cache_dir + "/results/" + key + ".txt";
      std::string output;
      bool from_cache = false;
      if (facts.driver.present && !o.fresh)
        if (auto text = host.read(cached)) {
          output = *text;
          from_cache = true;
        }
      probe::RunResult r;
      if (!from_cache) {
        const auto& gpus = facts.driver.gpus;
        if (gpus.size() <= 1 || std::string(name) == "device_query") {
          r = probe::make_local_host("/")->run({bin}, std::chrono::seconds(o.timeout_s));
          output = r.output;
        } else {
          // Every GPU: each run sees one device, and its checks are named after it.
          for (const auto& g : gpus) {
            r = probe::make_local_host("/")->run(
                {"/usr/bin/env", "CUDA_VISIBLE_DEVICES=" + g.uuid, bin},
                std::chrono::seconds(o.timeout_s));
            for (const auto& line : util::split(r.output, '\n')) {
              auto j = util::starts_with(line, "RESULT ")
                           ? nlohmann::json::parse(line.substr(7), nullptr, false)
                           : nlohmann::json();
              if (!j.is_object()) continue;
              j["check"] =
                  "gpu " + std::to_string(g.index) + ": " + j.value("check", std::string(name));
              output += "RESULT " + j.dump() + "\n";
            }
          }
        }
      }
      bool any = false, all_pass = true;
      for (const auto& line : util::split(output, '\n')) {
        if (!util::starts_with(line, "RESULT ")) continue;
        auto j = nlohmann::json::parse(line.substr(7), nullptr, false);
        if (j.is_discarded()) continue;
        any = true;
        std::string outcome = j.value("outcome", "fail");
        Result res{"compute", j.value("check", name), outcome, j.value("detail", ""), j};
        // A library loaded from outside the stack is a shadowing copy, not the stack working.
        std::string lib = j.value("library", "");
        std::string cudnn_prefix = s.cudnn ? host.resolve(s.cudnn->prefix.value) : "";
        if (!lib.empty() && lib != "?" &&
            !util::starts_with(host.resolve(lib), host.resolve(prefix)) &&
            !(s.cudnn && util::starts_with(host.resolve(lib), cudnn_prefix))) {
          res.outcome = "fail";
          res.detail += "; loaded " + lib + ", which is not the stack's (" + prefix + ")";
        }
        all_pass = all_pass && res.outcome == "pass";
        if (from_cache) {
          res.detail += " [cached: nothing it depends on changed; --fresh runs it again]";
          res.data["cached"] = true;
        }
        report.results.push_back(res);
      }
      // Only a GPU's passing results are kept: a failure or a not-run is always tried again.
      if (!from_cache && any && all_pass && facts.driver.present) {
        std::error_code ec;
        fs::create_directories(o.cache_dir + "/results", ec);
        std::string kept;
        for (const auto& line : util::split(output, '\n'))
          if (util::starts_with(line, "RESULT ")) kept += line + "\n";
        std::ofstream(cached) << kept;
      }
      if (!any)
        add("compute", name, false,
            r.timed_out ? "timed out"
                        : "no result (exit " + std::to_string(r.exit_code) +
                              "): " + r.output.substr(0, 400));
    }
  }

  // Inside the manifest's environment when it has one (else the first python3 on PATH): the
  // seed's checks, then which CUDA/cuDNN files the process mapped, against the manifest's.
  void framework_level() {
    if (!s.verify.framework) return;
    std::string fw = s.verify.framework->value;
    std::string python, env_dir;
    if (s.python) {
      env_dir = host.host_path(host.resolve(s.python->env.value));
      python = env_dir + "/bin/python";
      if (!fs::exists(python))
        return add("framework", fw, false,
                   "no environment at " + s.python->env.value +
                       (s.python->adopted() ? " (python.adopt: the manifest takes it as it is)"
                                            : " (gpucfg apply builds it)"));
    } else if (auto p = probe::which(host, "python3")) {
      python = host.host_path(*p);
    } else {
      return not_run("framework", fw, "no python3 on PATH and no python: section");
    }
    // Under --root the loader cache is this computer's, not the root's: the manifest's loader
    // paths are given to the process as LD_LIBRARY_PATH, as the root's own cache would.
    // LD_LIBRARY_PATH stays first, as the loader searches it before its cache.
    std::string ld = host.env("LD_LIBRARY_PATH").value_or("");
    if (!host.live())
      for (const auto& p : s.loader_paths)
        ld += (ld.empty() ? "" : ":") + host.host_path(p.value);
    bool gpu = facts.driver.present && !facts.driver.gpus.empty();
    auto local = probe::make_local_host("/");
    auto r = local->run({"/usr/bin/env", "LD_LIBRARY_PATH=" + ld, python, "-I",
                         o.kernels_dir + "/framework_check.py", fw, gpu ? "1" : "0"},
                        std::chrono::seconds(o.timeout_s));
    bool any = false;
    for (const auto& line : util::split(r.output, '\n')) {
      if (!util::starts_with(line, "RESULT ")) continue;
      auto j = nlohmann::json::parse(line.substr(7), nullptr, false);
      if (!j.is_object()) continue;
      any = true;
      std::string check = j.value("check", "?");
      if (check == "libraries mapped") {
        mapped_libraries(j.value("libraries", std::vector<std::string>{}), env_dir);
        continue;
      }
      report.results.push_back(
          {"framework", fw + ": " + check, j.value("outcome", "fail"), j.value("detail", ""), j});
    }
    if (!any)
      add("framework", fw, false,
          r.timed_out ? "timed out"
                      : python + " gave no result (exit " + std::to_string(r.exit_code) +
                            "): " + util::trim(r.output).substr(0, 600));
  }

  // The classic failure: a framework that loads another copy of cuDNN or the CUDA runtime than
  // the stack's. Each mapped file must lie in the stack's toolkit, its cuDNN prefix or the
  // environment (PyTorch's wheels bring their own), and a mapped cuDNN must be the manifest's.
  void mapped_libraries(const std::vector<std::string>& libs, const std::string& env_dir) {
    // Where each may come from: cuDNN from the manifest's cuDNN (else its toolkit), the runtime
    // from its toolkit; only a stack with neither (PyTorch's wheels bundle both) takes them
    // from the environment.
    auto home = [&](const std::string& kind) -> std::string {
      std::string machine = kind == "cudnn" && s.cudnn ? s.cudnn->prefix.value
                            : s.cuda                   ? s.cuda->prefix.value
                            : !env_dir.empty()         ? s.python->env.value
                                                       : "";
      if (machine.empty()) return "";
      std::error_code ec;
      auto c = fs::canonical(host.host_path(machine), ec);
      return ec ? host.host_path(machine) + "/" : c.string() + "/";
    };
    std::string fw = s.verify.framework->value;
    for (const char* kind : {"cudnn", "cudart"}) {
      std::vector<std::string> found;
      for (const auto& l : libs) {
        std::string name = l.substr(l.find_last_of('/') + 1);
        bool is_kind = util::starts_with(name, std::string("lib") + kind + ".so") ||
                       util::starts_with(name, std::string(kind) + "64");
        if (is_kind) found.push_back(l);
      }
      std::string check = fw + ": " + kind + " mapped";
      if (found.empty()) {
        not_run("framework", check,
                fw == "tensorflow"
                    ? "TensorFlow loads CUDA and cuDNN only once it finds a GPU; none was mapped"
                    : "no lib" + std::string(kind) + " was mapped by the process");
        continue;
      }
      std::string want = home(kind);
      for (const auto& l : found) {
        if (want.empty()) {
          not_run("framework", check,
                  l + ": the manifest names no toolkit, cuDNN or environment "
                      "to compare it with");
          continue;
        }
        bool ours = util::starts_with(l, want);
        std::string detail = l;
        bool ok = ours;
        if (!ours) detail += ", which is not the stack's (" + want + ")";
        if (ours && std::string(kind) == "cudnn" && s.cudnn) {
          auto v = util::Version::parse(probe::library_name_version(l.substr(l.rfind('/') + 1)));
          if (v && !agrees(*v, s.cudnn->version.value)) {
            ok = false;
            detail +=
                ": cuDNN " + v->str() + ", not the manifest's " + s.cudnn->version.value.str();
          }
        }
        add("framework", check, ok, detail, {{"library", l}});
      }
    }
  }
};

} // namespace

Report run(const manifest::Stack& stack, const probe::Facts& facts, const probe::Host& host,
           const Options& o) {
  Verifier v{stack, facts, host, o, {}, {}, {}};
  if (!stack.cuda) {
    v.not_run("static", "toolkit", "the manifest has no cuda section");
  } else {
    v.prefix = stack.cuda->prefix.value;
    v.libdir = v.prefix + "/lib64";
    int rank = level_rank(o.level);
    v.static_level();
    if (rank >= 1) v.load_level();
    if (rank >= 2) v.compute_level();
  }
  if (level_rank(o.level) >= 3) v.framework_level();
  return v.report;
}

} // namespace gpucfg::verify
