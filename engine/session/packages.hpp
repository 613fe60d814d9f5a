// The system packages of a planning run: the manifest's names asked of the machine's package
// manager (what is installed, what its lists offer), and, once the planner decided, apt's own
// simulation of those changes, so the plan names every package apt would add or remove with
// them. Apply plans again the same way, so a different answer makes a saved plan stale.
#pragma once

#include "manifest/model.hpp"
#include "packages/manager.hpp"
#include "plan/model.hpp"
#include "plan/observed.hpp"

namespace gpucfg::session {

// `manager` null: `why_none` says why there is none (a plan with packages then fails with it).
plan::Observed::Packages observe_packages(packages::Manager* manager, const std::string& why_none,
                                          const manifest::Stack& stack);

// Adds to `p` what apt's simulation of its package actions does besides them (dependencies
// installed, packages removed to make room), each an action of its own; an error when apt
// cannot make the changes or would make other versions than planned.
void simulate_packages(packages::Manager& manager, plan::Plan& p);

} // namespace gpucfg::session
