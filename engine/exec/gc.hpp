// gpucfg gc: frees what no kept generation needs. In this state folder: the blobs of files and
// file lists no kept generation (nor the originals) names. In the store, shared by every root on
// this computer: each tree and artifact that no kept generation of any root names (store/gc.hpp),
// and the caches (verify's builds, leftovers). Forgetting old generations (`keep`) is how a user
// says rollback to them is no longer wanted; rollback to 0 always stays possible.
#pragma once

#include "exec/machine.hpp"
#include "exec/state.hpp"
#include "store/gc.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace gpucfg::exec {

struct GcReport {
  std::vector<int> forgotten;      // generations whose records were removed
  std::size_t blobs = 0;           // state blobs freed
  std::uint64_t bytes = 0;         // what that freed (or would, with dry_run)
  store::StoreGc store;            // what the store freed
  std::vector<std::string> errors; // what could not be removed
};

// The caller holds the state Lock and the store's lock, exclusive. `keep`: how many of the
// newest generations to keep (the current one always stays); negative keeps every generation.
// `dry_run` only counts.
GcReport collect_garbage(Machine& m, StateStore& state, int keep, bool dry_run);

// What the kept generations of every root the store knows need (this state's included).
store::Live live_entries(const Machine& m, const StateStore& state,
                         const std::vector<int>& forgotten);

} // namespace gpucfg::exec
