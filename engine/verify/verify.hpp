// gpucfg verify: evidence that a stack works, in levels. Each check ends pass, fail or not-run
// (with the reason: "no CUDA device", "under --root"); not-run never counts as pass.
//   static   files, versions, hashes and the host compiler, from the facts and the file system
//   load     dlopen each promised library from the stack's prefix; cuDNN's run-time version
//            against its header and the manifest; the runtime against the driver
//   compute  kernels/*.cu built by the stack's own nvcc against its own libraries (rpath to
//            the prefix, binaries cached), run; each checks numerics against an fp64 reference
//   framework  the manifest's framework imported, GPU visible, one convolution on it
#pragma once

#include "manifest/model.hpp"
#include "probe/facts.hpp"
#include "probe/host.hpp"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace gpucfg::verify {

struct Result {
  std::string level, check, outcome, detail;      // outcome: pass | fail | not-run
  nlohmann::json data = nlohmann::json::object(); // what a workload reported (TFLOP/s, library, …)
};

struct Report {
  std::vector<Result> results;
  int count(const std::string& outcome) const;
};

struct Options {
  std::string level = "compute";
  std::string kernels_dir; // folder with the workloads' sources
  std::string cache_dir;   // compiled workloads, by hash of source, compiler and flags
  int timeout_s = 300;
  // Reuse a workload's passing results when nothing it depends on changed (the binary, the GPUs,
  // the driver, the libraries it loads); `fresh` runs everything again.
  bool fresh = false;
  // Workloads built at once (compute level): 0 is one per core.
  unsigned jobs = 0;
  // The program the load level runs once per library, with the library's path and stem added:
  // it must call load_probe below and print its JSON (the CLI gives `gpucfg __load-probe`).
  // Loading happens there, so a library whose loading crashes fails its check instead of
  // taking the caller down. Empty: the load checks are not-run.
  std::vector<std::string> load_probe_command;
};

// What the load probe does in its own process: loads `path` (dlopen; LoadLibrary) and asks it
// what it is (cudnnGetVersion; cudaRuntimeGetVersion and cudaDriverGetVersion).
nlohmann::json load_probe(const std::string& path, const std::string& stem);

Report run(const manifest::Stack& stack, const probe::Facts& facts, const probe::Host& host,
           const Options& o);

// Levels include those below them: compute runs static and load first.
int level_rank(const std::string& level);

nlohmann::ordered_json to_json(const Report& r);

} // namespace gpucfg::verify
