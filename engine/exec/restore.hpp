// Plans that put the managed paths back to a recorded state: rollback to a generation, or
// destroy (every path of one manifest back to what it was before gpucfg touched it). They run
// through the same executor as apply, so they are transactions too and make a new generation.
#pragma once

#include "exec/state.hpp"
#include "plan/model.hpp"

#include <string>

namespace gpucfg::exec {

// The plan that makes the managed tree what generation `n` recorded (0: as before gpucfg).
plan::Plan rollback_plan(const StateStore& store, int n);
// The plan that restores every path `manifest` manages to its original state.
plan::Plan destroy_plan(const StateStore& store, const std::string& manifest);

} // namespace gpucfg::exec
