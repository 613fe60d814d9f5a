// The store: the one place gpucfg keeps bytes it owns outside the trees it installs, as uv's
// cache and Nix's store do. Installed toolkit trees and environments are made from its entries
// by links (store/materialize.hpp); every generation's trees stay in it as roots for gc, so
// rolling an in-place upgrade back is a relink, byte for byte. One naming rule (store/key.hpp),
// one layout, written down in the VERSION file:
//
//   artifacts/<sha256>        downloaded archives, wheels and indexes, named by their bytes
//   artifacts/<sha256>.name   the file name a wheel pip chose had (a mirror needs it)
//   trees/<key>/              unpacked trees (toolkit and cuDNN archives, folders, wheels)
//   trees/<key>.json          each tree's record: what it was made from, every file in it
//   verify/                   compiled workloads and their results on a GPU (verify/compute.cpp)
//   yaml/<sha256>             parsed knowledge files, named by their text (yaml/cache.hpp)
//   probe/compilers.json      host compilers' versions by path, size and mtime (probe/compilers.cpp)
//   partial/                  downloads being received, resumed from here
//   tmp/                      entries being made, renamed into place only when whole
//   roots/<sha256>            the state folder (one per --root) whose generations keep entries
//   lock                      shared by every run that uses entries, exclusive for gc
//
// Its folder: $GPUCFG_CACHE_DIR; else /var/cache/gpucfg for root; else $XDG_CACHE_HOME/gpucfg or
// ~/.cache/gpucfg. Nothing in it is trusted by its name alone: a tree is checked against its
// record before it is handed out, an artifact against its pin when it is read.
#pragma once

#include "disk/disk.hpp"
#include "store/tree.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace gpucfg::store {

using disk::Status;

// The store's folder for this process (the rule above).
std::string default_dir();

class Store {
public:
  Store(disk::Disk& d, std::string dir);

  const std::string& dir() const { return m_dir; }
  disk::Disk& disk() const { return m_disk; }

  std::string artifact(const std::string& sha256) const { return m_dir + "/artifacts/" + sha256; }
  std::string artifact_name(const std::string& sha256) const { return artifact(sha256) + ".name"; }
  std::string tree(const std::string& key) const { return m_dir + "/trees/" + key; }
  std::string record_file(const std::string& key) const { return tree(key) + ".json"; }
  std::string partial_dir() const { return m_dir + "/partial"; }
  std::string verify_dir() const { return m_dir + "/verify"; }
  std::string tmp_dir() const { return m_dir + "/tmp"; }

  // Makes the folders and the VERSION file; an error for a store of a newer layout, and moves a
  // cache of the layout before the store (sha256/) into artifacts/ once.
  Status open();

  std::optional<TreeRecord> record(const std::string& key) const;
  bool has_tree(const std::string& key) const;
  // "" when tree `key` is there and as its record says: the same files, sizes, modes, mtimes and
  // link targets, nothing added (with `hashes`, the same bytes too); else what differs, in
  // words. An installed file hard-linked from the entry is the same file, so this is also how
  // an in-place write into an installed tree is caught before the entry is used again. A file
  // whose mtime moved while its bytes did not (an entry remade by a run killed before it renamed
  // the record) is hashed, and the record takes the new mtime, as git refreshes its index:
  // otherwise every quick check of the entry, and of the trees linked from it, would differ.
  std::string check(const std::string& key, bool hashes);

  // Makes tree `key`. `fill` writes the tree into the fresh folder it is given and lists its
  // files in *files with the hashes it computed on the way (any missing are computed here,
  // unless `hash_rest` is false: a wheel's tree is checked by size and mtime, as pip's RECORD
  // holds its hashes). The record is written, then the folder renamed into trees/<key>: whole
  // or not at all. A tree already there is left as it is ("").
  using Fill = std::function<Status(const std::string& dir, TreeManifest* files)>;
  Status add_tree(const std::string& key, const std::vector<std::string>& inputs, const Fill& fill,
                  bool hash_rest = true);
  // Removes a damaged entry's files before it is made again. Its record stays: it says what the
  // entry holds (the same inputs make the same tree), and a generation that names the entry
  // must never be left without a way to tell its files from a user's, even by a kill.
  Status discard_files(const std::string& key);
  // Removes an entry whole, files then record (gc's).
  Status evict(const std::string& key);

  // Roots for gc: the state folders whose generations name entries. add_root is idempotent.
  Status add_root(const std::string& state_dir);
  std::vector<std::string> roots() const;
  Status drop_root(const std::string& state_dir);

private:
  disk::Disk& m_disk;
  std::string m_dir;
};

} // namespace gpucfg::store
