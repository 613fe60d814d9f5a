// Verify workload: every CUDA device with its properties, and the runtime vs driver versions.
#include <stdexcept>

#include "common.cuh"

int main() {
  int runtime = 0, driver = 0;
  cudaRuntimeGetVersion(&runtime);
  cudaDriverGetVersion(&driver);
  if (!gv::have_device({"device query"})) return 0;
  try {
    int n = 0;
    GV_CUDA(cudaGetDeviceCount(&n));
    for (int d = 0; d < n; ++d) {
      cudaDeviceProp p{};
      GV_CUDA(cudaGetDeviceProperties(&p, d));
      char extra[512];
      std::snprintf(extra, sizeof extra,
                    "\"device\": %d, \"name\": \"%s\", \"sm\": \"%d.%d\", \"memory_bytes\": %zu, \"multiprocessors\": %d, "
                    "\"runtime_version\": %d, \"driver_version\": %d",
                    d, gv::esc(p.name).c_str(), p.major, p.minor, p.totalGlobalMem, p.multiProcessorCount, runtime, driver);
      bool ok = driver >= runtime;
      gv::result("device query", ok ? "pass" : "fail",
                 ok ? std::string(p.name) + ", sm_" + std::to_string(p.major) + std::to_string(p.minor)
                    : "the driver's CUDA " + std::to_string(driver) + " is older than the runtime's " + std::to_string(runtime),
                 extra);
    }
  } catch (const std::exception& e) {
    gv::result("device query", "fail", e.what());
  }
  return 0;
}
