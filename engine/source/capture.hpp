// gpucfg capture: pack an installed toolkit into redist-style archives, with a redistrib index
// (sha256, sizes) and a manifest that reproduces the install from that folder. How a team turns
// a known-good workstation into a shared mirror.
//
// Which file belongs to which component comes from the install itself: a toolkit assembled from
// NVIDIA's wheels keeps each wheel's dist-info RECORD (the file list pip installed); each one
// becomes a component named like NVIDIA's (nvidia_cuda_nvcc -> cuda_nvcc, nvidia_cudnn_cu13 ->
// cudnn). Files no RECORD lists form the component "unrecorded", so nothing of the prefix is
// dropped. Without RECORDs the whole prefix is one component, "toolkit".
#pragma once

#include <string>
#include <vector>

namespace gpucfg::source {

struct CaptureOptions {
  std::string prefix;                  // a path on this computer
  std::string install_prefix;          // where the manifest installs it; default `prefix`
  std::string out_dir;                 // created if missing
  std::vector<std::string> components; // empty: all
  std::vector<std::string> exclude;    // globs on paths relative to the prefix
  // tar.zst level 3 by default: the whole CUDA 13.0 tree in about 26 s on 2 cores, where tar.xz
  // at level 6 had written 42 MB after 165 s (measured for issue 10). xz stays available.
  std::string format = "tar.zst"; // tar.xz | tar.gz | tar.zst
  int level = 3;
  std::string platform_id = "linux-x86_64";
  std::string name; // the manifest's metadata.name; default captured-<prefix's folder name>
  unsigned jobs = 0;
};

struct CapturedComponent {
  std::string key, version, archive; // archive: relative to out_dir
  std::size_t files = 0;
  std::uint64_t size = 0, unpacked_size = 0;
};

struct CaptureResult {
  std::string error;
  std::vector<CapturedComponent> components;
  std::vector<std::string> available;  // every component the prefix has (for messages)
  std::vector<std::string> unrecorded; // files no RECORD lists: the component "unrecorded"
  std::string index, manifest;         // paths written
};

CaptureResult capture(const CaptureOptions& o);

} // namespace gpucfg::source
