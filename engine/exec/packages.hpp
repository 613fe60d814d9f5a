// The plan's package actions as one run of the system's package manager, journalled first with
// every touched package as it was, so undo (a later failure, or recover() after a kill) asks the
// manager to put them back. Runs before any file is placed: the files may need what it installs.
#pragma once

#include "exec/transaction.hpp"
#include "plan/model.hpp"
#include "plan/observed.hpp"

#include <optional>
#include <string>

namespace gpucfg::exec {

bool has_packages(const plan::Plan& p);

// The record of package `name` ("pkg:NAME") as `now` has it: kind "package" with its version
// and hold, or "absent".
plan::ManagedEntry package_entry(const std::string& path, const packages::InstalledMap& now);

// "" when done (or nothing to do). On failure: apt's own words and each touched package's dpkg
// state afterwards ("gpc-bad 1.0: half-configured"); the journal step undoes the rest.
Status run_packages(Machine& m, Transaction& tx, const plan::Plan& p,
                    const packages::InstalledMap& before);

// Where the touched packages ended up after an undo, said when any is not as it was before:
// "" when all are back.
std::string packages_not_back(Machine& m, const plan::Plan& p,
                              const packages::InstalledMap& before);

} // namespace gpucfg::exec
