#include "probe/nvml.hpp"

#include "util/os.hpp"

namespace gpucfg::probe {

namespace {

// The few NVML entry points used, declared here so no nvml.h is needed to build gpucfg.
using nvmlDevice_t = void*;
struct nvmlMemory_t {
  unsigned long long total, free, used;
};
using InitFn = int (*)();
using StrFn = int (*)(char*, unsigned);
using IntFn = int (*)(int*);
using CountFn = int (*)(unsigned*);
using HandleFn = int (*)(unsigned, nvmlDevice_t*);
using DevStrFn = int (*)(nvmlDevice_t, char*, unsigned);
using CcFn = int (*)(nvmlDevice_t, int*, int*);
using MemFn = int (*)(nvmlDevice_t, nvmlMemory_t*);

template <class F> F sym(const util::DynamicLibrary& lib, const char* name) {
  return reinterpret_cast<F>(lib.symbol(name));
}

} // namespace

std::optional<NvmlReport> query_nvml(std::string* why) {
  util::DynamicLibrary lib(util::k_nvml_library);
  if (!lib.loaded()) {
    if (why) *why = std::string(util::k_nvml_library) + " not loadable: " + lib.error();
    return std::nullopt;
  }
  NvmlReport r;
  r.library = lib.path();
  auto init = sym<InitFn>(lib, "nvmlInit_v2");
  auto shutdown = sym<InitFn>(lib, "nvmlShutdown");
  auto driver = sym<StrFn>(lib, "nvmlSystemGetDriverVersion");
  auto cuda = sym<IntFn>(lib, "nvmlSystemGetCudaDriverVersion_v2");
  auto count = sym<CountFn>(lib, "nvmlDeviceGetCount_v2");
  auto handle = sym<HandleFn>(lib, "nvmlDeviceGetHandleByIndex_v2");
  auto name = sym<DevStrFn>(lib, "nvmlDeviceGetName");
  auto uuid = sym<DevStrFn>(lib, "nvmlDeviceGetUUID");
  auto cc = sym<CcFn>(lib, "nvmlDeviceGetCudaComputeCapability");
  auto mem = sym<MemFn>(lib, "nvmlDeviceGetMemoryInfo");
  if (!init || !driver || !count || !handle) {
    if (why) *why = std::string(util::k_nvml_library) + " lacks the NVML v2 entry points";
    return std::nullopt;
  }
  if (int rc = init(); rc != 0) {
    if (why)
      *why = "nvmlInit_v2 failed with NVML error " + std::to_string(rc) + " (driver not loaded?)";
    return std::nullopt;
  }
  char buf[256] = {};
  if (driver(buf, sizeof buf) == 0) r.driver_version = buf;
  if (cuda) cuda(&r.cuda_driver_version);
  unsigned n = 0;
  if (count(&n) == 0)
    for (unsigned i = 0; i < n; ++i) {
      nvmlDevice_t dev = nullptr;
      if (handle(i, &dev) != 0) continue;
      NvmlGpu g;
      g.index = i;
      if (name && name(dev, buf, sizeof buf) == 0) g.name = buf;
      if (uuid && uuid(dev, buf, sizeof buf) == 0) g.uuid = buf;
      if (cc) cc(dev, &g.cc_major, &g.cc_minor);
      nvmlMemory_t m{};
      if (mem && mem(dev, &m) == 0) g.memory_total = m.total;
      r.gpus.push_back(g);
    }
  if (shutdown) shutdown();
  return r;
}

} // namespace gpucfg::probe
