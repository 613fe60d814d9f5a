// NVIDIA's redistrib_<version>.json: the index of a CUDA or cuDNN release's redist archives,
// one object per component with per-platform {relative_path, sha256, md5, size}. cuDNN 9 nests
// one more level, a `cuda_variant` ("cuda11", "cuda12") inside each platform. Pure parsing.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gpucfg::source {

struct RedistArchive {
  std::string relative_path, sha256;
  std::uint64_t size = 0;          // bytes of the archive ("size" is a string in NVIDIA's files)
  std::uint64_t unpacked_size = 0; // gpucfg's captures add it; NVIDIA's files do not have it
};

struct RedistComponent {
  std::string key;                        // "cuda_nvcc", "cudnn"
  std::string name;                       // "CUDA NVCC"
  std::string version;                    // "11.8.89"
  std::vector<std::string> cuda_variants; // cuDNN 9: {"11", "12"}; empty otherwise
  // platform ("linux-x86_64") -> variant ("" or "cuda12") -> archive
  std::map<std::string, std::map<std::string, RedistArchive>> archives;
};

struct Redistrib {
  std::string release_label, release_product, release_date;
  std::vector<RedistComponent> components; // in file order
};

// nullopt with *error set when the text is not a redistrib index.
std::optional<Redistrib> parse_redistrib(const std::string& text, std::string* error);

// The archive of `component` for `platform`, choosing the cuDNN 9 variant for `cuda_major`
// ("12"); `error` says why there is none (no such component, no build for the platform, …).
std::optional<RedistArchive> select_archive(const RedistComponent& c, const std::string& platform,
                                            const std::string& cuda_major, std::string* error);

const RedistComponent* find_component(const Redistrib& r, const std::string& key);

} // namespace gpucfg::source
