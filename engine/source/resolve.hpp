// From a manifest's source (archive, redistrib index, wheels) to the pinned archives it means,
// with where each can be had now. Reads the redistrib index (a local file, a mirror, the cache,
// or a download unless offline: it is small and pinned); never downloads an archive.
#pragma once

#include "manifest/model.hpp"
#include "source/artifact.hpp"
#include "source/layout.hpp" // target_arch

#include <string>
#include <vector>

namespace gpucfg::source {

struct ResolveOptions {
  // The machine's root (--root; empty for /). The rule for a manifest's paths: an absolute path
  // names the machine being configured (read under the root), a relative one the manifest's own
  // folder on this computer, and a file:// URL this computer's file.
  std::string root;
  std::string cache_dir;
  std::string platform_id;  // "linux-x86_64": the redistrib key
  std::string cuda_version; // the stack's CUDA ("13.0"): picks cuDNN 9's cuda_variant
  bool offline = false;     // GPUCFG_OFFLINE=1 or --offline: nothing may be downloaded
  bool allow_unpinned = false;
  std::vector<std::string> mirrors;    // the machine's (settings.hpp): tried before the source's
  std::vector<std::string> components; // cuda.components: what an installer archive takes
};

// `what` is "cuda.source" or "cudnn.source", for messages. Adopt and directory sources resolve
// to nothing (they have no archives).
Resolved resolve(const manifest::Source& src, const std::string& what, const ResolveOptions& o);

// An environment's locked wheels as artifacts (layout "python"): each at its own URL, else by
// file name on the mirrors and then in `index` (PyPI's simple index when empty).
Resolved resolve_wheels(const std::vector<manifest::LockedWheel>& wheels, const std::string& index,
                        const ResolveOptions& o);


} // namespace gpucfg::source
