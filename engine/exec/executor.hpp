// Apply as one transaction: every change is staged beside its target (same file system),
// fsynced, journalled with its undo, then renamed into place; the new generation is recorded by
// one atomic rename (the commit point); on any failure the journal is undone in reverse. An
// apply killed at any point is undone by the next gpucfg that takes the lock (`recover`).
#pragma once

#include "exec/state.hpp"
#include "plan/model.hpp"

#include <string>
#include <vector>

namespace gpucfg::exec {

struct ExecResult {
  bool ok = false;
  int generation = 0; // the generation now current
  std::string error;  // what failed (everything was undone)
  std::vector<std::string> log;
  std::vector<std::string> kept; // trees kept for rollback (or that could not be), for the user
};

struct ExecOptions {
  std::string cache_dir; // where fetched archives are (source/fetch.hpp)
  unsigned jobs = 0;     // archives unpacked at once; 0: one per core
};

// The caller holds the Lock. A plan with errors or without changes is not executed. Archives an
// install-tree step unpacks must be on this computer already (apply fetches them first).
ExecResult execute(StateStore& store, const plan::Plan& plan, const ExecOptions& options = {});

// Undoes (or, past the commit point, finishes) a transaction a killed gpucfg left behind.
// Returns a message for the user, empty when there was nothing to do.
std::string recover(StateStore& store);

// Steps a saved plan may not contain for this build (Windows registry, installs without a
// source): empty when every action can run here.
std::string unsupported(const plan::Plan& plan);

} // namespace gpucfg::exec
