// What a plan refuses whatever the diff says: a path another manifest manages or a variable it
// sets otherwise, and paths another user could change. Pure.
#include "plan/env_render.hpp"
#include "plan/planner.hpp"
#include "util/strings.hpp"

namespace gpucfg::plan {

// Stacks side by side: each path follows one manifest, and a machine-wide variable that two
// manifests set must have one value (each has its own env files, read in name order: without
// this check the later file would silently win).
void conflicts(const PlanInput& in, const std::vector<Desired>& desired, Plan& plan) {
  const auto& s = in.stack;
  const auto& current = in.observed.current;
  for (const auto& d : desired)
    if (const ManagedEntry* found = find_entry(current.entries, d.path))
      if (const ManagedEntry& e = *found; !e.manifest.empty() && e.manifest != s.metadata.name &&
                                          e.kind != "absent" &&
                                          !(e.kind == "adopted" && d.kind == "adopted"))
        plan.errors.push_back(d.path + " is managed by the manifest '" + e.manifest +
                              "' (generation " + std::to_string(current.number) +
                              "); a path follows one manifest: `gpucfg destroy` that one first, "
                              "or change this one");
  std::string mine = render_environment_d(s.env, "system", s.metadata.name);
  auto is_set = [](const std::string& name, const std::string& line) {
    return line.find("${" + name) == std::string::npos;
  };
  for (const auto& line : util::split(mine, '\n')) {
    auto eq = line.find('=');
    if (line.empty() || line[0] == '#' || eq == std::string::npos) continue;
    std::string name = line.substr(0, eq);
    if (!is_set(name, line)) continue;
    for (const auto& [other, vars] : in.observed.env_of) {
      auto it = vars.find(name);
      if (other == s.metadata.name || it == vars.end() || it->second == line ||
          !is_set(name, it->second))
        continue;
      plan.errors.push_back(name + ": the manifest '" + other + "' sets it to " +
                            it->second.substr(eq + 1) + ", this one to " + line.substr(eq + 1) +
                            "; one machine-wide value cannot serve both (give one of them "
                            "`scope: user`, or make them agree)");
    }
  }
}

// Paths another user could change: gpucfg neither writes there nor copies from there (a link
// swapped in between two steps would lend them root's hand), unless the machine has one user.
void untrusted_paths(const PlanInput& in, const std::vector<Desired>& desired, Plan& plan) {
  const Observed& o = in.observed;
  auto say = [&](const std::string& path, const std::string& what) {
    auto it = o.untrusted.find(path);
    if (it == o.untrusted.end()) return;
    std::string msg = path + ": " + it->second + "; " + what;
    if (o.single_user)
      plan.warnings.push_back(msg + " (GPUCFG_SINGLE_USER=1: done all the same)");
    else
      plan.errors.push_back(msg + " (set GPUCFG_SINGLE_USER=1 on a machine with no other user)");
  };
  for (const auto& d : desired) {
    if (d.kind == "adopt" || d.kind == "adopt-cudnn" || d.kind == "adopted" || d.kind == "keep")
      continue; // read, never written
    say(d.path, "other users can change what is there, so gpucfg does not write it");
    if (d.kind == "tree" && d.artifacts.empty() && !d.from.empty())
      say(d.from, "other users can change this source folder, so gpucfg does not copy from it");
  }
}

} // namespace gpucfg::plan
