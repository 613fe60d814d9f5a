// The front door of the manifest stage: load a file with its bases, decode it for each target
// platform and validate it. `validate`, `show` and (later) `plan` all start here.
#pragma once

#include "knowledge/knowledge.hpp"
#include "manifest/decode.hpp"

#include <string>
#include <vector>

namespace gpucfg::manifest {

struct Checked {
  Loaded loaded;
  std::vector<Stack> stacks; // one per platform checked, in order
};

// Platforms to check: `requested` if given; else those the manifest declares; else the host.
// Returns the stacks that decoded; `diags` holds every problem found.
Checked check(const std::string& path, const std::vector<std::string>& requested,
              const knowledge::Knowledge& kb, util::SourceSet& sources, util::Diagnostics& diags);

} // namespace gpucfg::manifest
