// NVIDIA's management library, loaded at run time (dlopen of libnvidia-ml.so.1) so gpucfg has
// no link-time dependency on a driver: on a machine without one this simply reports "absent".
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace gpucfg::probe {

struct NvmlGpu {
  unsigned index = 0;
  std::string name, uuid;
  int cc_major = 0, cc_minor = 0;
  unsigned long long memory_total = 0;
};

struct NvmlReport {
  std::string driver_version;  // "580.95.05"
  int cuda_driver_version = 0; // 13000 = the highest CUDA this driver supports
  std::vector<NvmlGpu> gpus;
  std::string library; // the file dlopen found, for the evidence
};

// nullopt with `why` set when the library is missing or NVML fails to initialise.
std::optional<NvmlReport> query_nvml(std::string* why);

} // namespace gpucfg::probe
