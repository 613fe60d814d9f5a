// A plan: what `apply` would do to one machine for one manifest, and why. Pure data, written by
// the planner (planner.hpp) and read back from `--out` files (plan_json.cpp), so it can be
// reviewed in a pull request and applied later, refused if the machine changed meanwhile.
#pragma once

#include "source/artifact.hpp"

#include <string>
#include <vector>

namespace gpucfg::plan {

// A prerequisite the plan does not change but depends on (driver, GPU, host compiler, platform).
struct Check {
  std::string name;    // "driver", "gpu 0", "host compiler", "platform"
  std::string outcome; // pass | fail | warn | unknown
  std::string
      detail; // the reasoning, e.g. "driver 456.71 < 460.82 required by CUDA 11.2 on windows"
  std::string source; // the knowledge row or manifest line behind it
};

// What an action does. The executor switches over it, so a new kind is a compile error until
// every switch handles it. In JSON the strings of format_version 1 ("install-tree", ...); a saved
// plan naming anything else reads as `unknown`, which the executor refuses.
enum class Op {
  unknown,
  write,        // a file: inline content or a copy, staged and renamed into place
  symlink,      // a link
  remove,       // a file or link
  remove_tree,  // a folder gpucfg installed
  remove_dir,   // an empty folder gpucfg made for what it placed (left if no longer empty)
  install_tree, // a toolkit or cuDNN prefix from archives or a folder, through the store
  restore_tree, // a tree an earlier generation recorded, from the store (rollback)
  build_env,    // a framework environment
  setenv,       // Windows: a variable in the registry (planned, not applied here)
  adopt,        // record an existing tree as the manifest's, change nothing
  run,          // a command (ldconfig)
  package,      // a system package installed, changed or removed through the package manager
};

// What a managed path is for (how plan groups and labels it, what rollback restores).
enum class Resource {
  unknown,
  toolkit,
  active_toolkit, // /usr/local/cuda
  cudnn,
  file,
  env,
  loader,
  python_env,
  folder,  // a folder gpucfg made to hold what it placed
  package, // a system package ("pkg:NAME"), through apt and dpkg
};

const char* to_string(Op op);
const char* to_string(Resource r);

// One change. `op` says what kind, `path` what it touches; the rest is the payload the executor
// needs, so a saved plan can be applied without the manifest.
struct Action {
  Op op = Op::unknown;
  Resource resource = Resource::unknown;
  std::string path;    // the managed path (machine path), or the command for `run`
  std::string change;  // create | update | delete | run
  std::string summary; // one line for people
  std::string reason;  // why: the manifest line and what differs
  std::string origin;  // file:line:col of the manifest value that asked for it
  // payload
  std::string content;              // write: inline content (env and loader files)
  std::string from;                 // write: a local source file; install-tree: a source folder
  std::string sha256;               // write: the content's hash, checked before the rename
  std::string mode;                 // write: octal mode, "" for 0644
  std::string link_target;          // symlink
  std::vector<std::string> details; // sub-steps shown with --explain
  std::vector<source::Artifact> artifacts; // install-tree: the archives unpacked into it
  bool from_host = false; // write: `from` is in gpucfg's cache on this computer, not under --root
  // install-tree, restore-tree: the store entry the tree is made from (store/key.hpp), named
  // before it exists; "" while an archive is unpinned (known once it is fetched).
  std::string key{};
  // write, remove: the file there is someone's edit of what gpucfg recorded; it is copied here
  // first (beside it: <path>.gpucfg-edited-<generation>), and never recorded as gpucfg's, so no
  // later rollback or destroy removes it. See edited_aside().
  std::string keep_as{};
  // write: the mtime the file is given (a file put back as it was); 0: the time of writing.
  std::int64_t mtime_ns = 0;
  // package (path "pkg:NAME"): the version the package manager installs ("": removed) and the
  // selection afterwards ("hold", "unhold"; "": left as it is). All package actions of a plan
  // are one run of the package manager, before any file is placed.
  std::string version{}, hold{};
  // A cuDNN placement rule whose archive is not unpacked yet: each file it is expected to place
  // ("bin/cudnn64_8.dll -> C:\\...\\bin\\cudnn64_8.dll") and where that expectation comes
  // from. Once the archive is unpacked the plan has one action per real file instead.
  std::vector<std::string> files{};
  std::string files_from{};
};

// The one verdict for a toolkit or cuDNN the manifest names no source for on `platform`, as
// plan, apply and `sources fetch` say it: "the manifest names no cuda.source for linux-x86_64".
std::string no_source(Resource r, const std::string& platform);

// Where a file gpucfg is about to replace or remove is kept first, when it is not what
// generation `generation` recorded there (`recorded_sha256`; "" when it recorded no file): the
// user's edit. "" when there is nothing of the user's to keep.
std::string edited_aside(const std::string& path, const std::string& recorded_sha256,
                         const std::string& now_sha256, int generation);

// A path the manifest manages, changed or not: what the next generation's record lists.
struct Managed {
  std::string path;
  Resource resource = Resource::unknown;
  std::string kind;     // file | symlink | absent | tree | env
  std::string manifest; // empty: the plan's manifest
  std::string scope{};  // env (Windows variables): system | user
};

// The step that rebuilds the loader cache after an /etc/ld.so.conf.d entry changed.
Action ldconfig_action();

struct Plan {
  int format_version = 1;
  std::string manifest; // metadata.name
  std::vector<std::string> files;
  std::string platform; // platform id planned for
  std::string root = "/";
  std::string facts_source; // "live" or the facts file
  std::string host;         // the machine's name, as its facts say
  std::string fingerprint;  // sha256 of the facts and observed state; apply refuses a stale plan
  std::vector<std::string> observed_paths, source_dirs; // what was observed, to observe it again
  std::vector<std::string> source_folders{};            // tree sources listed (store keys)
  // How it was planned, so `apply PLAN` plans again the same way and compares: the manifest file
  // (absolute) and whether files were compared by content (--checksum).
  std::string manifest_file{};
  bool checksum = false;
  std::vector<std::pair<std::string, std::string>> observed_variables; // Windows: (scope, name)
  std::vector<Check> checks;
  std::vector<Action> actions;
  std::vector<Managed> managed;
  std::vector<std::string> errors, warnings, notes;

  bool has_errors() const { return !errors.empty(); }
  bool has_changes() const { return !actions.empty(); }
};

} // namespace gpucfg::plan
