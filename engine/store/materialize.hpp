// Making a folder hold a store tree: the way installed toolkits, cuDNN prefixes and environments
// are made (uv installs an environment from its cache the same way). Each file is placed by the
// cheapest means the file system allows, chosen once per call: a reflink (copy-on-write: the
// installed file and the entry share blocks, and a write to one never reaches the other), else a
// hard link (one file, two names: the store checks its entry against the record before using it
// again, so a write through the installed name is caught, never passed on), else, across file
// systems, a copy. Modes and modification times are the entry's (a copy gets them set), so the
// installed tree matches the entry's record and Python's bytecode stays valid.
#pragma once

#include "store/store.hpp"

#include <cstddef>
#include <functional>
#include <string>

namespace gpucfg::store {

enum class Placement { reflink, hardlink, copy };
const char* to_string(Placement p);

struct Materialized {
  Status error;
  Placement how = Placement::hardlink;
  std::size_t files = 0;
};

// Where each relative path of the entry goes under `dest` ("" leaves it out); none: the same.
using PathMap = std::function<std::string(const std::string& relative)>;

// Places tree `key` under `dest`, a folder that is made if missing. An entry's file may not land
// on a name already there (the error names it), unless `replace`: wheels in one environment may
// share a file (nvidia/__init__.py in each NVIDIA wheel), and the later one wins, as with pip.
// The caller checked the entry (Store::check) and removes `dest` on failure (it is a staging
// folder, or an environment being built).
Materialized materialize(const Store& store, const std::string& key, const std::string& dest,
                         const PathMap& map = {}, bool replace = false);

} // namespace gpucfg::store
