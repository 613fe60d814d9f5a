// The kill tests' hook: each call is a checkpoint. GPUCFG_FAULT_STEP=K kills this process (as
// SIGKILL would) at its K-th checkpoint; GPUCFG_FAULT_DELAY_MS slows every checkpoint, so a test
// can kill it from outside at a random moment. Unset, a checkpoint costs a counter increment.
#pragma once

namespace gpucfg::util {

void checkpoint();

} // namespace gpucfg::util
