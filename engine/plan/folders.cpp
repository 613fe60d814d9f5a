// The folders gpucfg made, removed once a plan empties them (planner.hpp). Pure.
#include "plan/planner.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <set>

namespace gpucfg::plan {

void remove_emptied_folders(const std::vector<MadeFolder>& made, const std::string& reason,
                            Plan& p) {
  // Compared with forward slashes: Windows paths come with either separator (the manifest's
  // backslashes, a folder's name joined with '/').
  std::set<std::string> going, coming;
  for (const auto& a : p.actions) {
    (a.op == Op::remove || a.op == Op::remove_tree ? going : coming)
        .insert(util::forward_slashes(a.path));
    if (!a.keep_as.empty()) coming.insert(util::forward_slashes(a.keep_as)); // kept beside
  }
  auto receives = [&](const std::string& f) {
    for (const auto& c : coming)
      if (util::starts_with(c, util::forward_slashes(f) + "/")) return true;
    return false;
  };
  std::vector<MadeFolder> folders = made;
  std::sort(folders.begin(), folders.end(), [](const MadeFolder& a, const MadeFolder& b) {
    return a.path.size() > b.path.size(); // a child's path is longer than its parent's
  });
  for (const auto& f : folders) {
    bool emptied = !receives(f.path);
    for (const auto& name : f.entries)
      emptied = emptied && going.count(util::forward_slashes(f.path) + "/" + name) > 0;
    if (!emptied) continue;
    Action a;
    a.op = Op::remove_dir;
    a.resource = Resource::folder;
    a.path = f.path;
    a.change = "delete";
    a.summary = "a folder gpucfg made, empty once the above are gone";
    a.reason = reason;
    p.actions.push_back(a);
    going.insert(util::forward_slashes(f.path));
  }
}

} // namespace gpucfg::plan
