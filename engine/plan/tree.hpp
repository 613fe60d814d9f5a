// A toolkit tree's file list with sizes, mtimes and SHA-256s: recorded when gpucfg adopts or
// installs a tree, compared by plan to see drift. Quick comparisons use size and mtime; with
// --checksum every file is hashed again, on all cores.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace gpucfg::plan {

struct TreeFile {
  std::string path; // relative to the tree
  std::string kind; // file | symlink
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::string sha256; // files; or the link target for links
  unsigned mode = 0;  // files: permission bits; 0 in records older than this field
};

struct TreeManifest {
  std::vector<TreeFile> files; // sorted by path
};

// Lists `host_dir` (a path on this computer). With `hash`, files are hashed by `jobs` threads.
TreeManifest scan_tree(const std::string& host_dir, bool hash, unsigned jobs);

// A tree record as gpucfg keeps it (a blob of TreeFile rows); nothing when the file is missing
// or damaged, which callers treat as "no record" rather than as drift.
std::optional<TreeManifest> read_tree_record(const std::string& file);

// Paths that differ between a recorded manifest and a scan: added, removed, or changed (by sha256
// when both sides have one, else by size and mtime). At most `limit` are returned.
std::vector<std::string> tree_drift(const TreeManifest& recorded, const TreeManifest& now,
                                    std::size_t limit);

void to_json(nlohmann::json& j, const TreeFile& f);
void from_json(const nlohmann::json& j, TreeFile& f);

} // namespace gpucfg::plan
