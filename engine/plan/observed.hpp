// What the planner knows about the paths a manifest manages: observed by observe.cpp (I/O),
// consumed by the pure planner. Also the record of the last generation gpucfg applied.
#pragma once

#include "packages/manager.hpp"
#include "plan/model.hpp"
#include "source/artifact.hpp"
#include "store/key.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gpucfg::plan {

// What is at a path, as observed (unknown: it could not be looked at).
enum class PathKind { absent, file, symlink, dir, other, unknown };
const char* to_string(PathKind k);

struct PathState {
  PathKind kind = PathKind::absent;
  std::string link_target;   // symlink
  std::uint64_t size = 0;    // file
  std::int64_t mtime_ns = 0; // file
  std::string sha256;        // file, when hashed (or trusted from the record)
  std::string mode;          // file, octal
};

// One path gpucfg manages, as the last apply left it.
struct ManagedEntry {
  // kind: file | symlink | tree | adopted | absent | env. sha256: a file's content; for a tree
  // built in place or adopted, its file list's blob in the state folder.
  std::string path, kind, sha256, link_target, mode;
  std::string value, scope; // env: a Windows variable's value and scope (system | user)
  bool hold = false;        // package: value is its version; held at it
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  Resource resource = Resource::unknown;
  std::string manifest; // metadata.name of the manifest that wanted it
  // A tree made from the store: its entry's key (its record is the store's trees/<key>.json)
  // and the sha256s of the artifacts it was unpacked from. An environment: the store entries
  // (wheel trees) it was linked from. gc keeps all of these while the generation is kept.
  std::string key{};
  std::vector<std::string> artifacts{}, uses{};
};

// The entry for `path`, if any; a Windows path and a tree's '/' names compare alike.
const ManagedEntry* find_entry(const std::vector<ManagedEntry>& entries, const std::string& path);

struct Generation {
  int number = 0; // 0: nothing applied yet
  std::string manifest, created, plan_fingerprint;
  std::vector<ManagedEntry> entries;
  // The folders gpucfg made to hold what it placed, that still exist: recorded with the
  // generation, so a transaction undone after a kill leaves the list as it was.
  std::vector<std::string> folders{};
};

// A file found under a source folder, for cuDNN placement (relative path inside the folder).
struct SourceFile {
  std::string relative, kind; // kind: file | symlink
  std::string link_target;
  std::uint64_t size = 0;
  std::string sha256{}; // set for folders on this computer (an unpacked archive in the cache)
  unsigned mode = 0644; // files: permission bits (placed copies keep the executable bit)
};

// A folder gpucfg made (the current generation's `folders`) and the names in it now.
struct MadeFolder {
  std::string path;
  std::vector<std::string> entries;
};

struct Observed {
  bool live = true; // false: planning from a facts file; paths were not observed
  // Planning from a facts file that carries the host's gpucfg record: paths are as recorded
  // (drifted ones unknown), so a converged host plans no changes.
  bool from_records = false;
  std::map<std::string, PathState> paths;
  std::map<std::string, std::vector<SourceFile>> sources; // source folder -> its files
  Generation current;
  std::string home = "/root";
  std::map<std::string, std::vector<std::string>> tree_drift; // recorded tree -> paths that differ
  // Recorded trees whose record could not be read (the store no longer has it): path -> why.
  std::map<std::string, std::string> tree_unknown;
  // What each recorded tree from the store was made from, as its record says (for "was ...").
  std::map<std::string, std::vector<std::string>> tree_inputs;
  // The folders gpucfg made, as they are now: those this plan's removals empty are removed too.
  std::vector<MadeFolder> made_folders;
  // Managed paths and source folders another user could change (util/trust.hpp): path -> why.
  // gpucfg does not write there (nor copy from there) unless the machine has one user.
  std::map<std::string, std::string> untrusted;
  bool single_user = false; // GPUCFG_SINGLE_USER=1: those are warnings, not errors
  // Source folders a tree is copied from, listed (their store key is made of the listing).
  std::map<std::string, std::vector<store::ListedFile>> folders;
  std::map<std::string, source::Resolved> resolved; // "cuda", "cudnn": their archives, if any
  bool interrupted = false; // a journal from an apply that did not finish (the next one undoes it)
  // The machine-wide variables other manifests applied here: manifest -> name -> its line in
  // that manifest's environment.d file (what plan compares for conflicts between stacks).
  std::map<std::string, std::map<std::string, std::string>> env_of;
  // Windows variables, by "scope:name": their value now (nullopt: absent). A variable that could
  // not be read is in variable_errors instead.
  std::map<std::string, std::optional<std::string>> variables;
  std::map<std::string, std::string> variable_errors;
  // The manifest's system packages as the package manager has them (session/planning.cpp asks
  // it; the planner only reads this). Not observed: planned from a facts file.
  struct Packages {
    bool observed = false;
    std::string manager, error;                                // "apt"; why it could not be asked
    packages::InstalledMap installed;                          // the manifest's names only
    std::map<std::string, std::vector<std::string>> available; // name -> versions, newest first
  } packages{};
};

} // namespace gpucfg::plan
