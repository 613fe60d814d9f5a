#include "probe/facts.hpp"

namespace gpucfg::probe {

// Field lists live in one place each; missing fields in a saved file take their defaults.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Reading, value, evidence)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(PlatformFacts, id, os, arch, distro, distro_version,
                                                kernel, hostname, evidence)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Gpu, index, name, uuid, compute_capability,
                                                memory_bytes)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(DriverPackage, name, version, state)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(DriverFacts, present, version, max_cuda,
                                                kernel_module, evidence, gpus, absent_reason,
                                                packages, installed_version, reboot_needed)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Toolkit, path, realpath, version, version_evidence,
                                                readings, components, found_by, compat_libcuda,
                                                compat_version)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Selector, name, value, toolkit)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(CudnnLibrary, file, realpath, version)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(CudnnCopy, location, lib_dir, header, version,
                                                version_evidence, libraries, problems)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Candidate, path, realpath, via, version)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Resolution, name, chosen, candidates, steps)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Compiler, name, path, version, evidence)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Python, path, realpath, version, evidence)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(FrameworkBuild, name, version, cuda, cudnn,
                                                gpu_visible, error, libraries)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(PythonEnv, interpreter, python_version, builds,
                                                error)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SearchSetting, name, value, evidence)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ManagedFacts, generation, record, drifted)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Facts, format_version, root, platform, driver,
                                                toolkits, selectors, cudnn, loader, compilers,
                                                pythons, frameworks, search, warnings, managed)

nlohmann::ordered_json to_json(const Facts& f) {
  nlohmann::json j = f;
  // Field order as declared reads better than nlohmann::json's alphabetical order.
  nlohmann::ordered_json out;
  for (const char* k :
       {"format_version", "root", "platform", "driver", "toolkits", "selectors", "cudnn", "loader",
        "compilers", "pythons", "frameworks", "search", "warnings"})
    out[k] = j[k];
  if (f.driver.packages.empty()) // a machine without driver packages: as before they were read
    for (const char* k : {"packages", "installed_version", "reboot_needed"})
      out["driver"].erase(k);
  if (f.managed.generation > 0) out["managed"] = j["managed"]; // only where gpucfg applied
  return out;
}

Facts facts_from_json(const nlohmann::json& j) {
  if (!j.is_object() || j.value("format_version", 0) != 1)
    throw nlohmann::json::other_error::create(501, "not a gpucfg facts file (format_version 1)",
                                              &j);
  return j.get<Facts>();
}

} // namespace gpucfg::probe
