#include "probe/parsers.hpp"
#include "probe/probe.hpp"
#include "util/fileinfo.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"
#include "verify/verifier.hpp"

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace gpucfg::verify::detail {

namespace fs = std::filesystem;

// Builds one workload with the stack's nvcc, cached by what goes into it.
std::string Verifier::build(const std::string& name, std::string* error) {
  std::string src = o.kernels_dir + "/" + name + ".cu", common = o.kernels_dir + "/common.cuh";
  std::string nvcc = prefix + "/bin/nvcc";
  std::string arch = "-arch=sm_75"; // the workloads' own code is host code calling the libraries
  if (!facts.driver.gpus.empty()) {
    std::string cc = facts.driver.gpus.front().compute_capability;
    cc.erase(std::remove(cc.begin(), cc.end(), '.'), cc.end());
    arch = "-arch=sm_" + cc;
  }
  // The stack's own headers and libraries, and a run path to them, so the run loads the stack:
  // paths on this computer, so that under --root they are the root's, not this machine's.
  auto here = [&](const std::string& p) { return host.host_path(p); };
  std::vector<std::string> argv = {nvcc,
                                   "-O2",
                                   "-std=c++17",
                                   arch,
                                   "-I" + here(prefix + "/include"),
                                   "-L" + here(libdir),
                                   "-Xlinker",
                                   "-rpath=" + here(libdir)};
  if (s.cudnn && s.cudnn->prefix.value != prefix) {
    argv.push_back("-I" + here(s.cudnn->prefix.value + "/include"));
    for (const auto& d : lib_dirs(host, s.cudnn->prefix.value)) {
      argv.push_back("-L" + here(d));
      argv.insert(argv.end(), {"-Xlinker", "-rpath=" + here(d)});
    }
  }
  std::string why;
  if (auto hc = host_compiler(&why); hc && !hc->ccbin.empty())
    argv.insert(argv.end(), {"-ccbin", hc->ccbin});
  argv.push_back(src);
  if (name == "gemm") argv.push_back("-lcublas");
  if (name == "conv") argv.push_back("-lcudnn");
  argv.push_back("-o");
  // Everything the binary is made of, the stack's headers and libraries included: a changed
  // header is a new build, never a cached binary that hides it.
  std::string key =
      util::sha256_hex(util::join(argv, " ") + "\n" + util::sha256_file(src).value_or("") +
                       util::sha256_file(common).value_or("") +
                       util::sha256_file(host.host_path(nvcc)).value_or("") + stack_identity());
  std::string out = o.cache_dir + "/" + key.substr(0, 24) + "/" + name;
  if (fs::exists(out) && !o.fresh) return out;
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

void Verifier::compute_level() {
  if (windows) { // the workloads' build is nvcc's Linux command line; MSVC's is not written yet
    for (const char* k : {"device query", "memory bandwidth", "cublas gemm", "cudnn conv"})
      not_run("compute", k, "compute workloads are built on Linux only so far (nvcc with MSVC)");
    return;
  }
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
    // Each workload needs what it links: nothing more is demanded of the stack.
    if (std::string(name) == "gemm" && !promises("cublas")) {
      not_run("compute", "cublas gemm", "cuBLAS is not among the manifest's cuda.components");
      continue;
    }
    if (std::string(name) == "conv" && !s.cudnn) {
      not_run("compute", "cudnn conv", "the manifest has no cudnn section");
      continue;
    }
    std::string error;
    std::string bin = build(name, &error);
    if (bin.empty()) {
      add("compute", std::string("build ") + name, false, error);
      continue;
    }
    add("compute", std::string("build ") + name, true, "built by " + prefix + "/bin/nvcc: " + bin);
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
