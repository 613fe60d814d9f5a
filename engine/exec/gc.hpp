// gpucfg gc: frees what no kept generation needs. Rollback needs, for every generation it may go
// back to, the blobs of its files and tree records and the trees kept when they were replaced;
// destroy and rollback to 0 need the originals. Everything else in blobs/ and trees/ is garbage.
// Forgetting old generations (`keep`) is how a user says rollback to them is no longer wanted.
#pragma once

#include "exec/state.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace gpucfg::exec {

struct GcReport {
  std::vector<int> forgotten;      // generations whose records were removed
  std::vector<std::string> trees;  // kept trees freed (their record sha256)
  std::size_t blobs = 0;           // blobs freed
  std::uint64_t bytes = 0;         // what that freed (or would, with dry_run)
  std::vector<std::string> errors; // what could not be removed
};

// The caller holds the Lock. `keep`: how many of the newest generations to keep (the current one
// always stays); negative keeps every generation. `dry_run` only counts.
GcReport collect_garbage(const StateStore& store, int keep, bool dry_run);

} // namespace gpucfg::exec
