// gc over the store: every entry that no kept generation of any root (store/store.hpp) names is
// freed, and so is everything that is only a cache (verify's builds, half-made entries, partial
// downloads). Runs under the store's lock, exclusive, so no apply is between making an entry
// and recording it.
#pragma once

#include "store/store.hpp"

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace gpucfg::store {

// What the kept generations of every root need.
struct Live {
  std::set<std::string> trees;     // tree keys
  std::set<std::string> artifacts; // sha256s of downloaded archives and wheels
};

struct StoreGc {
  std::uint64_t bytes = 0; // freed (or, dry, that would be)
  int trees = 0, artifacts = 0, caches = 0;
  std::vector<std::string> errors;
};

StoreGc collect(Store& store, const Live& live, bool dry_run);

// Bytes of the files under `path` (or of the file itself).
std::uint64_t size_of(const disk::Disk& d, const std::string& path);

} // namespace gpucfg::store
