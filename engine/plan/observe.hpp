// Observation: the I/O half of planning. Reads the state of exactly the paths the planner will
// ask about (planner.hpp `wanted`), lists source folders, and loads the current generation.
#pragma once

#include "plan/observed.hpp"
#include "plan/planner.hpp"
#include "probe/host.hpp"

namespace gpucfg::plan {

// The state folder under a root: <root>/var/lib/gpucfg (machine path /var/lib/gpucfg).
inline const char* k_state_dir = "/var/lib/gpucfg";

// `checksum`: hash every file even when size and mtime match the last generation's record.
Observed observe(const probe::Host& host, const Wanted& wanted, bool checksum);

// The generation recorded as current, or generation 0 when nothing was applied yet.
Generation read_current_generation(const probe::Host& host);

} // namespace gpucfg::plan
