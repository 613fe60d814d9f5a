// Building a framework environment from locked wheels, in the folder it will be used from
// (a venv records its own path in its scripts, so it is built in place, never moved), the way
// uv installs from its cache: each wheel is unpacked once into the store (its pin checked while
// it is read, what pip --require-hashes checks) and compiled to bytecode there by the
// interpreter, as one entry per (wheel, interpreter); the interpreter's own `venv` makes the
// skeleton; the entries are linked into it (store/materialize.hpp); then the files that name
// the environment (#!python scripts, launchers, RECORD, INSTALLER) are written as its own, the
// import check runs, and the marker says "finished". A second environment of the same wheels
// costs little more than its links. The caller owns the folder's fate: on failure it removes it
// (the executor's journal does).
#pragma once

#include "source/artifact.hpp"
#include "store/store.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace gpucfg::pyenv {

struct BuildOptions {
  store::Store* store = nullptr; // where the wheels are (artifacts) and their trees go
  unsigned jobs = 0;             // 0: one per core
  bool checksum = false;         // check reused wheel trees by content, not size and mtime
  std::chrono::seconds timeout{900};
};

// `dir`: where the environment is built (must not exist yet). `python`: the interpreter.
// `marker`: gpucfg-env.json's text (decide()): its site_packages and imports drive the build,
// and it is written last. The store entries linked from go to *uses. Returns what failed, or "".
std::string build(const std::string& dir, const std::string& python,
                  const std::vector<source::Artifact>& wheels, const std::string& marker,
                  const BuildOptions& o, std::vector<std::string>* uses = nullptr);

// The store trees build() would make of `wheels` (artifacts in the store already; sdists are
// left to build()) for the interpreter `python`, made now: unpacked and compiled, nothing
// outside the store touched. "" or what failed; build() makes what is missing either way.
std::string prepare(const std::string& python, const std::vector<source::Artifact>& wheels,
                    const BuildOptions& o);

// Console and GUI scripts from a wheel's entry_points.txt: (name, "module:function").
std::vector<std::pair<std::string, std::string>> entry_points(const std::string& text);

// The launcher pip writes for an entry point, for the interpreter at `python`: entry_script()
// after a #! line. On Windows entry_script() is <name>-script.py, run by Scripts\<name>.exe.
std::string launcher(const std::string& python, const std::string& target);
std::string entry_script(const std::string& target);

} // namespace gpucfg::pyenv
