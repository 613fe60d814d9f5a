// Plans that put the managed paths back to a recorded state: rollback to a generation, or
// destroy (every path of one manifest back to what it was before gpucfg touched it). They run
// through the same executor as apply, so they are transactions too and make a new generation.
#pragma once

#include "exec/machine.hpp"
#include "exec/state.hpp"
#include "plan/model.hpp"

#include <string>

namespace gpucfg::exec {

// The plan that makes the managed tree what generation `n` recorded (0: as before gpucfg). Trees
// come back from the store, the files a user added to them carried along.
plan::Plan rollback_plan(const Machine& m, const StateStore& state, int n);
// The plan that restores every path `manifest` manages to its original state.
plan::Plan destroy_plan(const Machine& m, const StateStore& state, const std::string& manifest);

} // namespace gpucfg::exec
