// A tree's file list with sizes, mtimes, modes and SHA-256s: what the store records for each tree
// it holds (and, for trees gpucfg adopts or builds in place, what the state folder records), so
// plan can see drift and the store can check an entry before it hands it out. Quick comparisons
// use size and mtime; with hashes every file is read again, on all cores.
#pragma once

#include "disk/disk.hpp"

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace gpucfg::store {

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

// A tree as the store keeps it beside its folder (trees/<key>.json): what it was made from, for
// people and plan ("cuda_nvcc 12.1.105 sha256:..."), and its files.
struct TreeRecord {
  std::vector<std::string> inputs;
  TreeManifest tree;
};

// Lists `dir` on `d`. With `hash`, files are hashed by `jobs` threads.
TreeManifest scan_tree(const disk::Disk& d, const std::string& dir, bool hash, unsigned jobs);
// The same on this computer's disk.
TreeManifest scan_tree(const std::string& host_dir, bool hash, unsigned jobs);

// A record as written by write_record, or a bare array of TreeFile rows (the state folder's
// blobs, and records older than the store); nothing when missing or damaged, which callers
// treat as "no record" rather than as drift.
std::optional<TreeRecord> parse_record(const std::string& text);
std::optional<TreeManifest> read_tree_record(const std::string& file);
std::string record_text(const TreeRecord& r);

// Paths that differ between a recorded manifest and a scan: added ("+"), removed ("-"), or
// changed ("~"; by sha256 when both sides have one, else by size and mtime; a mode apart). At most
// `limit` are returned, damage before additions.
std::vector<std::string> tree_drift(const TreeManifest& recorded, const TreeManifest& now,
                                    std::size_t limit);

void to_json(nlohmann::json& j, const TreeFile& f);
void from_json(const nlohmann::json& j, TreeFile& f);

} // namespace gpucfg::store
