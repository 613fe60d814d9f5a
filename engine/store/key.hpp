// The store's one naming rule. Every entry is <bucket>/<64 hex digits>: a downloaded artifact by
// the sha256 of its bytes, everything gpucfg makes from artifacts (an unpacked tree, a wheel
// unpacked and compiled for one interpreter) by the sha256 of what went in: the artifacts' pins
// and everything that changes what unpacking them produces. So a plan can name the entry an
// apply will make before it exists, and two manifests that unpack the same pins share it (as
// Nix names a derivation's output). Pure.
#pragma once

#include "source/artifact.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace gpucfg::store {

// What a tree from archives is made of: the archives (pins, layouts, component selections), the
// version.json gpucfg writes when the index gave one, and the architecture whose target links
// finish_tree makes. "" when an archive is not pinned yet (its bytes are unknown until fetched).
std::string archives_key(const std::vector<source::Artifact>& archives,
                         const std::string& version_json, const std::string& target_arch);

// A source folder, listed: each entry's relative path, kind, mode, size, mtime and link target
// (what make and ninja trust; `plan --checksum` compares the installed tree by content).
struct ListedFile {
  std::string path, kind, link_target; // kind: file | symlink
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  unsigned mode = 0;
};
std::string folder_key(const std::vector<ListedFile>& listing);

// One wheel unpacked in the python layout and compiled to bytecode by interpreters of
// `bytecode_tag` (sys.implementation.cache_tag, "cpython-311").
std::string wheel_key(const source::Artifact& wheel, const std::string& bytecode_tag);

// One line per input, for the record and for plan's "was ... now ..." ("cuda_nvcc 12.1.105
// sha256:8f99d4ca9f57").
std::vector<std::string> describe_inputs(const std::vector<source::Artifact>& archives);

// The unpacking rules' version: bumped when gpucfg unpacks the same archive differently, so no
// entry made by older rules is taken for a new one.
inline constexpr const char* k_rules = "gpucfg-store-1";

} // namespace gpucfg::store
