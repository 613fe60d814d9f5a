// One archive a source installs from: what it is, how it is pinned, where copies may be found.
// Pure data: the planner puts these in install-tree actions, so a saved plan names its bytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gpucfg::source {

struct Artifact {
  std::string name;                          // for people: "cuda_nvcc 13.0.88"
  std::string component;                     // "cuda_nvcc": names the license folder
  std::string file;                          // the archive's file name
  std::string sha256;                        // the pin; "" only with --allow-unpinned
  std::uint64_t size = 0, unpacked_size = 0; // declared; 0 when not
  std::string layout = "auto";               // auto | redist | cudnn-legacy | wheel | runfile |
                                             // windows-installer | plain | python |
                                             // sdist (a locked source distribution)
  std::vector<std::string> components;       // installers: which component folders to take
  std::string mirror_path; // where a mirror holds it: the file name, or an index's relative_path;
                           // "" for pip wheels (their file name is known once downloaded)
  std::vector<std::string> locations;  // paths, file:// or http(s):// URLs, tried in order
  std::string pip;                     // wheels without a URL: "package==version" for pip
  std::vector<std::string> find_links; // pip: mirror folders or URLs
  std::string index;     // wheels: a simple package index (PEP 503) that lists `file`, asked last
  std::string available; // observed at plan time: cache | file | download | missing
  // A wheel that only builds an sdist of the same lock (its build requirement, layout "python"):
  // the sdist's file name. It never goes into the environment itself.
  std::string build_of{};
};

// A manifest source (cuda.source, cudnn.source) resolved into archives (source/resolve.hpp).
struct Resolved {
  std::vector<Artifact> artifacts;
  std::vector<std::string> errors, notes;
  std::string
      version_json; // CUDA from a redistrib index: the version.json NVIDIA's installer writes
  std::string unpacked_dir;      // cuDNN placed into a toolkit: its archive, unpacked in the cache
  std::vector<Artifact> indexes; // the redistrib index read, for filling a mirror
};

} // namespace gpucfg::source
