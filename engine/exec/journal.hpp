// The undo log of the transaction in progress (journal.json in the state folder), written
// atomically before each step is taken, so a process killed at any point leaves enough to undo
// (before the commit point) or finish (after it). Steps are typed: a journal that names a kind
// this gpucfg does not know is refused whole, never half replayed.
#pragma once

#include "packages/manager.hpp"
#include "util/registry.hpp"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace gpucfg::exec {

enum class StepKind {
  staged,       // path: a staging name; undo removes it
  created,      // path: made where nothing was; undo removes it
  replaced,     // path moved to `backup`; undo puts it back, cleanup (after commit) deletes it
  made_dir,     // path: a folder made; undo removes it if it is empty
  remove_dir,   // path: a folder gpucfg made, removed after the commit if empty; undo: nothing
  set_variable, // a Windows variable (scope, name) was `before`; undo writes it back
  ran_ldconfig, // the loader cache was rebuilt; undo rebuilds it again once all else is undone
  packages,     // the package manager ran; undo asks it to put `packages` back as they were
};

struct Step {
  StepKind kind = StepKind::staged;
  std::string path{}, backup{};                // host paths
  std::string scope{}, name{};                 // set_variable
  std::optional<util::RegistryValue> before{}; // set_variable: nullopt = absent
  std::vector<packages::Target> packages{};    // packages: each as it was ("" version: absent)
};

struct Journal {
  int generation = 0; // the generation the transaction makes
  std::vector<Step> steps;
};

std::string to_text(const Journal& j);
// nullopt with *error for text that is not a journal, or names a step kind not known here.
std::optional<Journal> parse_journal(const std::string& text, std::string* error);

} // namespace gpucfg::exec
