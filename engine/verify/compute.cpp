#include "probe/parsers.hpp"
#include "probe/probe.hpp"
#include "util/fileinfo.hpp"
#include "util/os.hpp"
#include "util/process.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"
#include "verify/verifier.hpp"

#include <algorithm>
#include <atomic>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

namespace gpucfg::verify::detail {

namespace fs = std::filesystem;

std::optional<Verifier::HostCompiler> Verifier::host_compiler(std::string* why) const {
  auto here = probe::make_local_host("/");
  for (const auto& hc : s.requires_.host_compiler) {
    if (hc.os != s.platform->os_name() || hc.compiler != "gcc") continue;
    const probe::Compiler* found = compiler("g++");
    auto cv = found ? util::Version::parse(found->version) : std::nullopt;
    if (cv && hc.range.contains(*cv))
      return HostCompiler{"", "gcc " + found->version + " against " + hc.range.str()};
    for (int n = 30; n >= 4; --n) {
      std::string path = "/usr/bin/g++-" + std::to_string(n);
      if (here->is_executable(path) && hc.range.contains(util::Version({unsigned(n)})))
        return HostCompiler{
            path, (found ? "gcc " + found->version : std::string("no default g++")) +
                      " is outside " + hc.range.str() + "; nvcc uses " + path + " (-ccbin)"};
    }
    *why = (found ? "gcc " + found->version + " is outside " + hc.range.str()
                  : std::string("no g++ was found")) +
           " and no g++-N within " + hc.range.str() +
           " is installed (apt-get install g++-N for an N in " + hc.range.str() + ")";
    return std::nullopt;
  }
  return HostCompiler{"", ""};
}

std::optional<Verifier::Builder> Verifier::builder(std::string* why) const {
  if (windows) {
    // nvcc on Windows takes cl.exe only, inside Visual Studio's environment (vcvars64.bat);
    // the workloads hold no device code, so MinGW-w64's g++ or clang++ build them as they are.
    for (const char* name : {"g++", "clang++"})
      if (const probe::Compiler* c = compiler(name)) return Builder{false, c->path, "", c->path};
    *why = "no MinGW-w64 g++ or clang++ on PATH to build the workloads with (they are plain C++; "
           "builds with Visual Studio's cl.exe are not written yet)";
    return std::nullopt;
  }
  if (host.is_executable(prefix + "/bin/nvcc")) {
    auto hc = host_compiler(why);
    if (!hc) return std::nullopt;
    return Builder{true, host.host_path(prefix + "/bin/nvcc"), hc->ccbin, prefix + "/bin/nvcc"};
  }
  // No nvcc (a toolkit from NVIDIA's wheels ships ptxas, not nvcc): the manifest's host-compiler
  // range is nvcc's rule, so any C++17 compiler here will do for host code.
  for (const char* name : {"g++", "clang++"})
    if (const probe::Compiler* c = compiler(name))
      return Builder{false, c->path, "", c->path + " (the stack has no nvcc)"};
  *why = "no nvcc in the stack (" + prefix + "/bin) and no g++ or clang++ on this computer";
  return std::nullopt;
}

namespace {

// The file a library is linked from: the linker's name (libcudnn.so) where the stack has it,
// else the loader's (libcudnn.so.9: NVIDIA's wheels ship no other), given to the linker as a
// path. "" when the stack has neither.
std::string library_file(const probe::Host& host, const std::vector<std::string>& dirs,
                         const std::string& stem, bool windows) {
  if (windows) { // MinGW's linker takes the DLL itself (cudart64_110.dll): no import library
    for (const auto& d : dirs)
      for (const auto& f : host.list(d))
        if (loadable_library(f, stem, true)) return d + "\\" + f;
    return {};
  }
  for (const auto& d : dirs)
    if (host.is_file(d + "/" + stem + ".so")) return d + "/" + stem + ".so";
  for (const auto& d : dirs)
    for (const auto& f : host.list(d))
      if (loadable_library(f, stem, false)) return d + "/" + f;
  return {};
}

// What a failed build says, shortened for a report: its error lines (a compiler's warnings
// come first and would fill the space), else its last lines.
std::string compiler_errors(const std::string& output) {
  std::string errors;
  for (const auto& line : util::split(output, '\n'))
    if (line.find("error") != std::string::npos ||
        line.find("undefined reference") != std::string::npos)
      errors += (errors.empty() ? "" : "\n") + line;
  const std::string& text = errors.empty() ? output : errors;
  return text.size() <= 800 ? text : text.substr(text.size() - 800);
}

} // namespace

// Builds one workload, cached by what goes into it: the stack's headers and libraries, and a
// run path to them, so the run loads the stack. Paths on this computer, so that under --root
// they are the root's, not this machine's.
std::string Verifier::build(const std::string& name, const Builder& b, std::string* error) {
  std::string src = o.kernels_dir + "/" + name + ".cu", common = o.kernels_dir + "/common.cuh";
  auto here = [&](const std::string& p) { return host.host_path(p); };
  std::vector<std::string> dirs = stack_dirs();
  std::vector<std::string> argv = {b.path, "-O2", "-std=c++17"};
  if (b.nvcc) {
    // The workloads' own code is host code calling the libraries; the arch only names a target.
    std::string arch = "-arch=sm_75";
    if (!facts.driver.gpus.empty()) {
      std::string cc = facts.driver.gpus.front().compute_capability;
      cc.erase(std::remove(cc.begin(), cc.end(), '.'), cc.end());
      arch = "-arch=sm_" + cc;
    }
    argv.push_back(arch);
    if (!b.ccbin.empty()) argv.insert(argv.end(), {"-ccbin", b.ccbin});
  } else {
    argv.insert(argv.end(), {"-x", "c++"});
  }
  argv.push_back("-I" + here(prefix + "/include"));
  if (s.cudnn && s.cudnn->prefix.value != prefix)
    argv.push_back("-I" + here(s.cudnn->prefix.value + "/include"));
  argv.push_back(src);
  std::vector<std::string> stems;
  if (b.nvcc) {
    for (const auto& d : dirs)
      argv.push_back("-L" + here(d));
  } else {
    argv.insert(argv.end(), {"-x", "none"});
    stems.push_back("libcudart"); // nvcc links the runtime itself (statically)
  }
  if (name == "gemm") stems.push_back("libcublas");
  if (name == "conv") stems.push_back("libcudnn");
  for (const auto& stem : stems) {
    std::string lib = library_file(host, dirs, stem, windows);
    if (lib.empty()) {
      *error = "no " + stem + " in the stack's library folders (" + util::join(dirs, ", ") + ")";
      return {};
    }
    if (b.nvcc)
      argv.push_back("-l" + stem.substr(3));
    else
      argv.push_back(here(lib));
  }
  if (windows) {
    // No run path on Windows: the run puts the stack's bin first on PATH. The C++ runtime is
    // linked in, so the workload needs no MinGW DLL beside it.
    argv.insert(argv.end(), {"-static-libgcc", "-static-libstdc++"});
  } else {
    for (const auto& d : dirs)
      if (b.nvcc)
        argv.insert(argv.end(), {"-Xlinker", "-rpath=" + here(d)});
      else
        argv.push_back("-Wl,-rpath," + here(d));
    if (!b.nvcc) argv.push_back("-ldl");
  }
  argv.push_back("-o");
  // Everything the binary is made of, the stack's headers and libraries included: a changed
  // header is a new build, never a cached binary that hides it.
  std::string key =
      util::sha256_hex(util::join(argv, " ") + "\n" + util::sha256_file(src).value_or("") +
                       util::sha256_file(common).value_or("") +
                       util::sha256_file(b.path).value_or("") + stack_identity());
  std::string exe = windows ? ".exe" : "";
  std::string out = o.cache_dir + "/" + key.substr(0, 24) + "/" + name + exe;
  if (fs::exists(out) && !o.fresh) return out;
  std::error_code ec;
  fs::create_directories(fs::path(out).parent_path(), ec);
  // Builds run side by side: each writes a name of its own, renamed into place when whole.
  // (".tmp.exe" on Windows, where MinGW's driver would otherwise add ".exe" to the name.)
  std::string tmp = o.cache_dir + "/" + key.substr(0, 24) + "/" + name + ".tmp" + exe;
  argv.push_back(tmp);
  auto r = probe::make_local_host("/")->run(argv, std::chrono::seconds(600));
  if (r.exit_code != 0) {
    *error = fs::path(b.path).filename().string() + " failed: " + compiler_errors(r.output);
    return {};
  }
  fs::rename(tmp, out, ec);
  return out;
}

// The stack's headers and libraries as they are now: each file's path, size and mtime.
std::string Verifier::stack_identity() {
  std::vector<std::string> dirs = {prefix + "/include"};
  if (s.cudnn && s.cudnn->prefix.value != prefix)
    dirs.push_back(s.cudnn->prefix.value + "/include");
  std::vector<std::string> files = promised_libraries();
  for (const auto& d : dirs)
    for (const auto& f : host.list(d))
      files.push_back(d + "/" + f);
  std::sort(files.begin(), files.end());
  std::string id;
  for (const auto& f : files) {
    auto st = host.lstat(host.resolve(f));
    id +=
        f + ":" + (st ? std::to_string(st->size) + ":" + std::to_string(st->mtime_ns) : "?") + "\n";
  }
  return id;
}

// What a workload's results depend on: its binary (whose cache folder is named by the hash of
// source, compiler and flags), the GPUs and driver, and the libraries it loads (real file,
// size, mtime).
std::string Verifier::results_key(const std::string& bin) {
  // LD_LIBRARY_PATH decides what the binary loads before its run path: part of the key.
  std::string k = bin + "|" + facts.driver.version + "|" + host.env("LD_LIBRARY_PATH").value_or("");
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

// Runs a built workload. On Windows its DLLs are found along PATH, so the stack's folders go
// first there (the run path's part on Linux).
// `gpu`, when not "", is the one device the run sees (CUDA_VISIBLE_DEVICES).
probe::RunResult Verifier::run_workload(const std::string& bin, const std::string& gpu) {
  std::string visible = "CUDA_VISIBLE_DEVICES=" + gpu;
  if (!windows) {
    std::vector<std::string> argv = {bin};
    if (!gpu.empty()) argv = {"/usr/bin/env", visible, bin};
    return probe::make_local_host("/")->run(argv, std::chrono::seconds(o.timeout_s));
  }
  return run_on_stack_path({bin}, gpu.empty() ? std::vector<std::string>{}
                                              : std::vector<std::string>{visible});
}

// On Windows, where DLLs are found along PATH: `argv` run with the stack's folders first there,
// and `env` (NAME=value) besides.
probe::RunResult Verifier::run_on_stack_path(const std::vector<std::string>& argv,
                                             const std::vector<std::string>& env) {
  std::string path;
  for (const auto& d : stack_dirs())
    path += host.host_path(d) + ";";
  util::ProcessOptions po;
  po.timeout = std::chrono::seconds(o.timeout_s);
  po.env = {"PATH=" + path + host.env("PATH").value_or("")};
  po.env.insert(po.env.end(), env.begin(), env.end());
  auto r = util::run_process(argv, po);
  return {r.timed_out ? -1 : r.exit_code, r.output, r.timed_out};
}

void Verifier::compute_level() {
  std::string why;
  auto b = builder(&why);
  if (!b) {
    for (const char* k : {"device query", "memory bandwidth", "cublas gemm", "cudnn conv"})
      not_run("compute", k, why);
    return;
  }
  struct Workload {
    std::string name, skipped, bin, error;
  };
  std::vector<Workload> work;
  for (const char* name : {"device_query", "bandwidth", "gemm", "conv"}) {
    // Each workload needs what it links: nothing more is demanded of the stack.
    Workload w{name, "", "", ""};
    if (w.name == "gemm" && !promises("cublas"))
      w.skipped = "cuBLAS is not among the manifest's cuda.components";
    if (w.name == "conv" && !s.cudnn) w.skipped = "the manifest has no cudnn section";
    work.push_back(w);
  }
  // The builds side by side, one per core (each is one compiler process), the longest first
  // (conv, then gemm: cuDNN's and cuBLAS's headers); the runs after, one at a time, since they
  // share the GPU.
  const std::size_t order[] = {3, 2, 1, 0};
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t k; (k = next++) < work.size();) {
      Workload& w = work[order[k]];
      if (w.skipped.empty()) w.bin = build(w.name, *b, &w.error);
    }
  };
  std::vector<std::thread> threads;
  unsigned jobs = o.jobs ? o.jobs : util::usable_cores();
  for (unsigned t = 1; t < std::min<unsigned>(jobs, static_cast<unsigned>(work.size())); ++t)
    threads.emplace_back(worker);
  worker();
  for (auto& t : threads)
    t.join();
  for (const auto& w : work) {
    const std::string& name = w.name;
    const std::string& bin = w.bin;
    if (!w.skipped.empty()) {
      not_run("compute", name == "gemm" ? "cublas gemm" : "cudnn conv", w.skipped);
      continue;
    }
    if (bin.empty()) {
      add("compute", "build " + name, false, w.error);
      continue;
    }
    add("compute", "build " + name, true, "built by " + b->name + ": " + bin);
    std::string key = results_key(bin), cached = o.cache_dir + "/results/" + key + ".txt";
    std::string output;
    bool from_cache = false;
    std::string cached_at = "an earlier run";
    if (facts.driver.present && !o.fresh)
      if (std::ifstream in(cached); in) { // the cache is this computer's, never the root's
        std::stringstream text;
        text << in.rdbuf();
        output = text.str();
        from_cache = true;
        if (auto st = util::lstat_info(cached)) {
          char when[32];
          std::time_t t = static_cast<std::time_t>(st->mtime_ns / 1000000000);
          std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
          cached_at = when;
        }
      }
    probe::RunResult r;
    if (!from_cache) {
      const auto& gpus = facts.driver.gpus;
      if (gpus.size() <= 1 || std::string(name) == "device_query") {
        r = run_workload(bin, "");
        output = r.output;
      } else {
        // Every GPU: each run sees one device, and its checks are named after it.
        for (const auto& g : gpus) {
          r = run_workload(bin, g.uuid);
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
      // The workload names a file on this computer; the stack's folders are compared as such.
      auto here = [&](const std::string& p) {
        std::error_code ec;
        auto c = fs::canonical(p, ec);
        return ec ? p : c.string();
      };
      // It belongs to the stack when it lies in one of the stack's library folders (a cuDNN
      // prefix of /usr must not claim everything below it).
      std::string lib = j.value("library", "");
      bool ours = false;
      for (const auto& d : stack_dirs())
        ours = ours || fs::path(here(lib)).parent_path() == fs::path(here(host.host_path(d)));
      if (!lib.empty() && lib != "?" && !ours) {
        res.outcome = "fail";
        res.detail += "; loaded " + lib + ", which is not the stack's (" + prefix + ")";
      }
      all_pass = all_pass && res.outcome == "pass";
      if (from_cache) {
        res.detail += " [cached from " + cached_at +
                      ": nothing it depends on changed; --fresh "
                      "runs it again]";
        res.data["cached"] = cached_at;
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
          r.timed_out
              ? "timed out"
              : "no result (exit " + std::to_string(r.exit_code) + "): " + r.output.substr(0, 400));
  }
}

} // namespace gpucfg::verify::detail
