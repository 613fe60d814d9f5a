// The record of a generation: every path the plan manages as it is once the transaction's steps
// are done (files by content, links by target, trees by their store entry or file list).
#pragma once

#include "exec/place.hpp"
#include "exec/state.hpp"
#include "plan/model.hpp"

namespace gpucfg::exec {

plan::Generation record(Machine& m, StateStore& state, const plan::Plan& p, int number,
                        const Placed& placed);

} // namespace gpucfg::exec
