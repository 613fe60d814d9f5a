// Apply as one transaction: every change is staged beside its target (same file system),
// fsynced, journalled with its undo, then renamed into place; the new generation is recorded by
// one atomic rename (the commit point); on any failure the journal is undone in reverse. An
// apply killed at any point is undone by the next gpucfg that takes the lock (`recover`).
#pragma once

#include "exec/machine.hpp"
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
  std::vector<std::string> said; // for the user: files carried into new trees, entries remade
};

// The caller holds the Lock (and the store's, shared). A plan with errors or without changes is
// not executed. Archives an install-tree step unpacks must be in the store already (the session
// fetches them first).
ExecResult execute(Machine& m, StateStore& state, const plan::Plan& plan);

// Undoes (or, past the commit point, finishes) a transaction a killed gpucfg left behind.
// Returns a message for the user, empty when there was nothing to do; *refused is set when the
// journal cannot be replayed (it names what), and nothing may change until that is resolved.
std::string recover(Machine& m, StateStore& state, bool* refused = nullptr);

// Steps a saved plan may not contain for this build (Windows registry, installs without a
// source): empty when every action can run here.
std::string unsupported(const plan::Plan& plan, const Machine& m);

} // namespace gpucfg::exec
