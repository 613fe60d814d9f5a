// gpucfg's own state under <root>/var/lib/gpucfg (Windows: %ProgramData%\gpucfg):
//   lock, lock.owner      one apply/rollback/destroy/gc at a time (flock: a dead owner frees it)
//   journal.json          the undo log of the transaction in progress; present only mid-apply
//   current.json          the current generation (the commit point: written by rename)
//   generations/N.json    every generation's record, for history and rollback
//   originals.json        what each managed path was before gpucfg first managed it
//   blobs/<sha256>        the bytes of every single file gpucfg wrote or replaced, for rollback,
//                         and the file lists of trees that are not the store's (adopted
//                         toolkits, environments built in place)
// Trees gpucfg installed are the store's (store/store.hpp); a generation names them by key.
#pragma once

#include "disk/disk.hpp"
#include "plan/observed.hpp"
#include "util/os.hpp"

#include <map>
#include <string>
#include <vector>

namespace gpucfg::exec {

using disk::Status;

// The loader cache ldconfig writes; remembered before gpucfg first runs ldconfig.
inline constexpr const char* k_loader_cache = "/etc/ld.so.cache";

class StateStore {
public:
  StateStore(disk::Disk& d, std::string root);

  const std::string& root() const { return m_root; }
  // The host path for a machine path (root joined in front).
  std::string host(const std::string& machine_path) const;
  std::string dir() const; // plan::state_dir(root): $GPUCFG_STATE_DIR or <root>/var/lib/gpucfg
  disk::Disk& disk() const { return m_disk; }

  // Makes the state folder (0700, root's alone), closing one an older gpucfg left 0755.
  Status ensure();
  plan::Generation current() const;
  std::vector<plan::Generation> history() const;
  std::optional<plan::Generation> generation(int n) const;
  Status commit(const plan::Generation& g); // generations/N.json, then current.json

  std::map<std::string, plan::ManagedEntry> originals() const;
  // The folders gpucfg created (machine paths) to hold what it placed, which were not there
  // before: a plan whose removals leave one empty removes it. The current generation's list (a
  // state folder of an older gpucfg: its folders.json).
  std::vector<std::string> created_folders() const;
  Status save_originals(const std::map<std::string, plan::ManagedEntry>& o);
  // last-failure.json: the transaction that failed (the generation it would have made, its
  // plan's manifest, what failed and how it was left), kept until a later one commits.
  std::string failure_file() const { return dir() + "/last-failure.json"; }
  Status note_failure(int generation, const std::string& manifest, const std::string& error);

  std::string blob(const std::string& sha) const { return dir() + "/blobs/" + sha; }
  std::string journal_file() const { return dir() + "/journal.json"; }
  // Keeps a copy of `host_file` as blobs/<sha> (once per content).
  Status keep_blob(const std::string& host_file, const std::string& sha);
  // Stores `text` as a blob; returns its sha256 in *sha.
  Status keep_text(const std::string& text, std::string* sha);

private:
  disk::Disk& m_disk;
  std::string m_root;
};

// Holds the state lock for its lifetime. `wait_s` seconds are waited for another holder.
class Lock {
public:
  Lock(const StateStore& store, const std::string& operation, int wait_s);
  ~Lock();
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;

  bool held() const { return m_lock.held(); }
  const std::string& message() const { return m_message; } // why not held, or what was recovered
  const std::string& holder() const { return m_holder; }   // who holds it, when not held

private:
  util::FileLock m_lock;
  std::string m_message, m_holder;
  std::string m_owner_path;
};

} // namespace gpucfg::exec
