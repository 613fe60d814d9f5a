// What each kind of action does, on top of the transaction's steps. Each produces its result
// at a staging path (or a folder it journals as created) and leaves the swap, the journal and
// the undo to the Transaction: files and links (place.cpp), trees from the store (place_tree.cpp),
// environments, Windows variables, the loader cache.
#pragma once

#include "exec/state.hpp"
#include "exec/transaction.hpp"
#include "plan/model.hpp"
#include "store/tree.hpp"

#include <map>
#include <string>
#include <vector>

namespace gpucfg::exec {

// What the actions of one transaction made, for the generation's record.
struct Placed {
  std::map<std::string, std::string> tree_keys;                 // path -> store entry
  std::map<std::string, std::vector<std::string>> artifacts;   // path -> artifacts' sha256s
  std::map<std::string, store::TreeManifest> built;            // environments built in place
  std::map<std::string, std::vector<std::string>> uses;        // environments -> wheel trees
  std::vector<std::string> said; // for the user: what was carried, how trees were placed
  bool variables_changed = false;
};

struct PlaceContext {
  Transaction& tx;
  const StateStore& state;
  const plan::Generation& current; // the generation the transaction replaces
  std::string platform;            // the plan's platform id
  Placed& out;
};

// One action, by its kind. Every Op is named: a new one does not compile until it is handled.
Status place(PlaceContext& c, const plan::Action& a);

Status place_tree(PlaceContext& c, const plan::Action& a);

// The files under `target` that tree record `record` does not list (a user's, or files gpucfg
// placed there as entries of their own) linked into `staged` (links made anew); one whose name
// the new tree already uses is not, and is returned in *clashes. Their paths in *carried.
Status carry(disk::Disk& d, const std::string& target, const store::TreeManifest& record,
             const std::string& staged, std::vector<std::string>* carried,
             std::vector<std::string>* clashes);

} // namespace gpucfg::exec
