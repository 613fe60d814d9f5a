// Loading a manifest with everything it `extends`.
//
// Merge rule (documented in README.md, "extends"): bases are merged first, in the order listed,
// then the extending file on top of them:
//   - mappings merge key by key, recursively; a scalar or list from the later file replaces the
//     earlier one;
//   - `files` entries are matched by their path: a later entry for the same path replaces the
//     earlier one in place, others are appended;
//   - `loader.paths` is a union, order kept;
//   - each variable under `env` is replaced whole (the later file states the full operation);
//   - `metadata` and `extends` are never inherited;
//   - `key: null` in a later file removes the key (an overlay can drop a base's cudnn).
// Every node keeps the mark of the file it came from, which is how `show` reports origins.
#pragma once

#include "yaml/reader.hpp"

#include <string>
#include <vector>

namespace gpucfg::manifest {

using yaml::ReadLimits;
using yaml::Value;
using yaml::ValuePtr;

struct Loaded {
  ValuePtr tree;                  // the merged document; nullptr when loading failed
  std::vector<std::string> files; // every file read, bases first, the named file last
};

// Reads `path` and its bases. Cycles, missing bases and chains deeper than 16 files are errors,
// positioned at the `extends` entry that caused them.
Loaded load(const std::string& path, util::SourceSet& sources, util::Diagnostics& diags,
            const ReadLimits& limits = {});

// The merge rule above, on two trees (exposed for tests).
ValuePtr merge_documents(const ValuePtr& base, const ValuePtr& over);

} // namespace gpucfg::manifest
