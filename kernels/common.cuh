// Shared by the verify workloads: error checks that report instead of crash, a poison value
// written into every output before a run (so a kernel that writes nothing cannot pass), sampled
// comparison against a double-precision CPU reference, and one JSON result line per check:
//   RESULT {"check": "...", "outcome": "pass|fail|not-run", "detail": "...", ...}
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <cuda_runtime.h>

// The loader's questions (which file a symbol came from, whether the driver library loads) are
// asked of dlfcn on Linux and of the module list on Windows, where MinGW-w64 or cl.exe builds
// these workloads as plain C++.
#ifdef _WIN32
#include <windows.h>
#else
#include <dlfcn.h>
#endif

namespace gv {

inline std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    if (c == '\n') { o += "\\n"; continue; }
    o += c;
  }
  return o;
}

// One result line. `extra` is raw JSON members, e.g. "\"tflops\": 12.5".
inline void result(const std::string& check, const std::string& outcome, const std::string& detail,
                   const std::string& extra = "") {
  std::printf("RESULT {\"check\": \"%s\", \"outcome\": \"%s\", \"detail\": \"%s\"%s%s}\n", esc(check).c_str(),
              outcome.c_str(), esc(detail).c_str(), extra.empty() ? "" : ", ", extra.c_str());
  std::fflush(stdout);
}

// The file a symbol was loaded from: which libcudnn/libcublas the run really used.
inline std::string loaded_from(const void* symbol) {
#ifdef _WIN32
  HMODULE m = nullptr;
  char path[MAX_PATH];
  if (GetModuleHandleExA(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                         static_cast<LPCSTR>(symbol), &m) &&
      GetModuleFileNameA(m, path, MAX_PATH))
    return path;
#else
  Dl_info info{};
  if (dladdr(symbol, &info) && info.dli_fname) return info.dli_fname;
#endif
  return "?";
}

// Whether the driver's library (what the runtime needs to see a device) can be loaded at all.
inline bool driver_library() {
#ifdef _WIN32
  return LoadLibraryA("nvcuda.dll") != nullptr;
#else
  return dlopen("libcuda.so.1", RTLD_LAZY | RTLD_NOLOAD) || dlopen("libcuda.so.1", RTLD_LAZY);
#endif
}

// No device: every check of this workload is not-run, with the reason. Returns false then.
inline bool have_device(const std::vector<std::string>& checks) {
  int n = 0;
  cudaError_t e = cudaGetDeviceCount(&n);
  if (e == cudaSuccess && n > 0) return true;
  // With no driver at all the runtime says "CUDA driver version is insufficient": name the cause.
  bool driver = e != cudaErrorInsufficientDriver || driver_library();
#ifdef _WIN32
  const char* no_driver = "no CUDA device: no NVIDIA driver (nvcuda.dll cannot be loaded)";
#else
  const char* no_driver = "no CUDA device: no NVIDIA driver (libcuda.so.1 cannot be loaded)";
#endif
  std::string why = e == cudaSuccess ? "no CUDA device"
                    : !driver        ? no_driver
                                     : std::string("no CUDA device: ") + cudaGetErrorString(e);
  for (const auto& c : checks) result(c, "not-run", why);
  return false;
}

#define GV_CUDA(call)                                                                                    \
  do {                                                                                                   \
    cudaError_t e_ = (call);                                                                             \
    if (e_ != cudaSuccess) throw std::runtime_error(std::string(#call) + ": " + cudaGetErrorString(e_)); \
  } while (0)

inline std::vector<float> random_floats(std::size_t n, unsigned seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-scale, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// Relative error of `got` against `want`, with an absolute floor for values near zero.
inline double rel_err(double got, double want, double floor) {
  if (std::isnan(got) || std::isinf(got)) return INFINITY;
  return std::fabs(got - want) / std::max(std::fabs(want), floor);
}

// Times `fn` (a callable launching GPU work) with events: the median of `reps` runs after warm-up.
// The median time of one call of `fn`, each sample timing `batch` calls launched back to back
// between one pair of events: launch overhead is then spread over the batch, as in a training
// loop, instead of counted whole against a kernel of a tenth of a millisecond.
template <class F> double median_ms(F fn, int reps = 10, int batch = 1) {
  cudaEvent_t a, b;
  cudaEventCreate(&a);
  cudaEventCreate(&b);
  for (int i = 0; i < 3; ++i) fn();
  std::vector<float> t;
  for (int i = 0; i < reps; ++i) {
    cudaEventRecord(a);
    for (int j = 0; j < batch; ++j) fn();
    cudaEventRecord(b);
    cudaEventSynchronize(b);
    float ms = 0;
    cudaEventElapsedTime(&ms, a, b);
    t.push_back(ms / batch);
  }
  std::sort(t.begin(), t.end());
  cudaEventDestroy(a);
  cudaEventDestroy(b);
  return t[t.size() / 2];
}

}  // namespace gv
