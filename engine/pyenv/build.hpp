// Building a framework environment from locked wheels, in the folder it will be used from
// (a venv records its own path in its scripts, so it is built in place, never moved): the
// interpreter's own `venv` makes the skeleton, the wheels are unpacked into it by libarchive,
// several at once, with their pins checked while they are read (what pip --require-hashes
// checks), then scripts, bytecode, the import check and the marker that says "finished".
// The caller owns the folder's fate: on failure it removes it (the executor's journal does).
#pragma once

#include "source/artifact.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace gpucfg::pyenv {

struct BuildOptions {
  std::string cache_dir;
  unsigned jobs = 0; // 0: one per core
  std::chrono::seconds timeout{900};
};

// `dir`: where the environment is built (must not exist yet). `python`: the interpreter.
// `marker`: gpucfg-env.json's text (decide()): its site_packages and imports drive the build,
// and it is written last. Returns what failed, or "".
std::string build(const std::string& dir, const std::string& python,
                  const std::vector<source::Artifact>& wheels, const std::string& marker,
                  const BuildOptions& o);

// Console and GUI scripts from a wheel's entry_points.txt: (name, "module:function").
std::vector<std::pair<std::string, std::string>> entry_points(const std::string& text);

// The launcher pip writes for an entry point, for the interpreter at `python`.
std::string launcher(const std::string& python, const std::string& target);

} // namespace gpucfg::pyenv
