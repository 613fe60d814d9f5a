// Observation: the I/O half of planning. Reads the state of exactly the paths the planner will
// ask about (planner.hpp `wanted`), lists source folders, and loads the current generation.
#pragma once

#include "disk/real_disk.hpp"
#include "plan/observed.hpp"
#include "plan/planner.hpp"
#include "probe/host.hpp"
#include "util/registry.hpp"

namespace gpucfg::plan {

// gpucfg's state folder as a path on this computer: $GPUCFG_STATE_DIR when set (tests and
// benchmarks that must not write under /var/lib), else <root>/var/lib/gpucfg.
std::string state_dir(const std::string& root);

// `checksum`: hash every file (managed files, and the files of recorded toolkit trees) even
// when size and mtime match the last generation's record. `store_dir`: the store, whose records
// describe the trees gpucfg installed from it. Paths are looked at through `host`; bytes (hashes,
// gpucfg's own state and records, the trees' files) are read from `d`, the disk under it (an
// in-memory one in the unit tests, with a probe::DiskHost over it); Windows variables from
// `registry` (none: this computer's).
Observed observe(const probe::Host& host, const Wanted& wanted, bool checksum,
                 const std::string& store_dir, const disk::Disk& d = disk::real_disk(),
                 util::Registry* registry = nullptr);

// The files of a store tree, from its record (sizes, modes and hashes as unpacked; nothing is
// read again), for placing an archive's files one by one. Empty when there is no record.
std::vector<SourceFile> list_store_tree(const std::string& store_dir, const std::string& key);

// The generation recorded as current, or generation 0 when nothing was applied yet.
Generation read_current_generation(const probe::Host& host,
                                   const disk::Disk& d = disk::real_disk());

} // namespace gpucfg::plan
