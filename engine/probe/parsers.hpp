// Pure parsers for what the probe reads: text or bytes in, values out, no I/O. Each is tested on
// fixtures reproducing real files (tests/unit/test_parsers.cpp). A parser that does not recognise
// its input returns nullopt or an empty result; it never throws.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gpucfg::probe {

// CUDA 11.1+ `version.json`: {"cuda": {"name": "CUDA SDK", "version": "12.2.2"}, "cuda_nvcc":
// {...}}.
struct VersionJson {
  std::string cuda;                              // "12.2.2"
  std::map<std::string, std::string> components; // "cuda_nvcc" -> "12.2.140"
};
std::optional<VersionJson> parse_version_json(const std::string& text);

// CUDA <= 11.0 `version.txt`: "CUDA Version 10.0.130".
std::optional<std::string> parse_version_txt(const std::string& text);

// `nvcc --version`: "Cuda compilation tools, release 13.0, V13.0.88" -> "13.0.88".
std::optional<std::string> parse_nvcc_version(const std::string& text);

// `#define CUDART_VERSION 13000` in cuda_runtime_api.h -> "13.0".
std::optional<std::string> parse_cudart_header(const std::string& text);

// cuDNN's CUDNN_MAJOR/MINOR/PATCHLEVEL macros (cudnn_version.h from 8.0, cudnn.h before).
std::optional<std::string> parse_cudnn_header(const std::string& text);

// /proc/driver/nvidia/version, proprietary or open kernel module wording.
struct DriverProc {
  std::string version; // "535.104.05"
  std::string module;  // "proprietary" | "open"
};
std::optional<DriverProc> parse_driver_proc(const std::string& text);

// A pip dist-info folder name: "nvidia_cudnn_cu13-9.19.0.56.dist-info" ->
// {nvidia_cudnn_cu13, 9.19.0.56}.
struct DistInfo {
  std::string package, version;
};
std::optional<DistInfo> parse_dist_info_name(const std::string& dirname);

// dpkg's status file: installed packages and versions (e.g. cuda-cudart-13-0 -> 13.0.96-1).
std::map<std::string, std::string> parse_dpkg_status(const std::string& text);

// The NVIDIA driver packages in dpkg's status file, as (name, version, state): Debian's
// nvidia-driver and nvidia-kernel-dkms, Ubuntu's nvidia-driver-NNN and nvidia-dkms-NNN, NVIDIA's
// cuda-drivers-NNN and nvidia-open, the libnvidia-compute libraries. Found by scanning for their
// names, not by parsing every stanza: facts reads it on every plan.
std::vector<std::array<std::string, 3>> parse_driver_packages(const std::string& status);
bool is_driver_package(const std::string& name);
// The driver version a set of driver packages installs ("535.216.01" from "535.216.01-1~deb12u1"),
// the kernel module's package first; "" when none is installed.
std::string packaged_driver_version(const std::vector<std::array<std::string, 3>>& packages);

// /etc/os-release: ID, VERSION_ID, PRETTY_NAME, … with quotes removed.
std::map<std::string, std::string> parse_os_release(const std::string& text);

// The version in a shared library's file name: ("libcudnn.so.8.1.0", "libcudnn") -> "8.1.0";
// "cudnn64_8.dll" -> "8". Empty when the name carries none ("libcudnn.so").
std::string library_name_version(const std::string& file);

// The base name before ".so" ("libcudnn_ops_infer.so.8" -> "libcudnn_ops_infer").
std::string library_stem(const std::string& file);

// A compiler's version from `gcc --version` / `clang --version` / `-dumpfullversion` output.
std::optional<std::string> parse_compiler_version(const std::string& text);

// The ld.so cache (/etc/ld.so.cache, glibc's "glibc-ld.so.cache1.1" format, with or without the
// old "ld.so-1.7.0" section before it).
struct LdCacheEntry {
  std::string name; // "libcudnn.so.9"
  std::string path; // "/usr/local/cuda-13.0/lib/libcudnn.so.9"
  std::uint32_t flags = 0;
  bool x86_64() const { return (flags & 0xff00) == 0x0300 && (flags & 0xff) == 0x03; }
  bool aarch64() const { return (flags & 0xff00) == 0x0a00 && (flags & 0xff) == 0x03; }
};
std::vector<LdCacheEntry> parse_ld_so_cache(const std::string& bytes);

} // namespace gpucfg::probe
