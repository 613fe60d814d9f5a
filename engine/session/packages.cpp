#include "session/packages.hpp"

#include "util/strings.hpp"

#include <algorithm>
#include <map>

namespace gpucfg::session {

plan::Observed::Packages observe_packages(packages::Manager* manager, const std::string& why_none,
                                          const manifest::Stack& stack) {
  plan::Observed::Packages o;
  if (stack.packages.empty()) return o;
  if (!manager) {
    o.error = why_none;
    return o;
  }
  o.manager = manager->name();
  std::vector<std::string> names;
  for (const auto& p : stack.packages)
    names.push_back(p.name.value);
  std::string error;
  auto installed = manager->installed(&error);
  auto available = installed ? manager->available(names, &error) : std::nullopt;
  if (!installed || !available) {
    o.error = error;
    return o;
  }
  for (const auto& n : names) // only the manifest's: the fingerprint changes with them alone
    if (auto it = installed->find(n); it != installed->end()) o.installed[n] = it->second;
  o.available = *available;
  o.observed = true;
  return o;
}

void simulate_packages(packages::Manager& manager, plan::Plan& p) {
  std::vector<packages::Target> targets;
  std::map<std::string, std::string> planned; // name -> version ("" removed)
  auto last = p.actions.end();
  for (auto it = p.actions.begin(); it != p.actions.end(); ++it)
    if (it->op == plan::Op::package) {
      std::string name = it->path.substr(4);
      targets.push_back({name, it->version, std::nullopt});
      planned[name] = it->version;
      last = it + 1;
    }
  if (targets.empty()) return;
  std::string error;
  auto changes = manager.simulate(targets, &error);
  if (!changes) {
    p.errors.push_back("packages: " + manager.name() + " cannot make these changes: " + error);
    return;
  }
  std::vector<plan::Action> extra;
  for (const auto& c : *changes) {
    if (auto it = planned.find(c.name); it != planned.end()) {
      if (it->second != c.to)
        p.errors.push_back("pkg:" + c.name + ": " + manager.name() + " would " +
                           packages::describe(c) + ", not the planned version " + it->second);
      continue;
    }
    plan::Action a;
    a.op = plan::Op::package;
    a.resource = plan::Resource::package;
    a.path = "pkg:" + c.name;
    a.version = c.to;
    a.change = c.from.empty() ? "create" : c.to.empty() ? "delete" : "update";
    a.summary = packages::describe(c);
    a.reason = c.to.empty()     ? manager.name() + " removes it to make these changes (a conflict)"
               : c.from.empty() ? "a dependency " + manager.name() + " installs with them"
                                : "a dependency " + manager.name() + " changes with them";
    extra.push_back(a);
    // Recorded with the manifest's packages, so rollback and destroy take it back too.
    p.managed.push_back({a.path, plan::Resource::package, "package", ""});
  }
  p.actions.insert(last, extra.begin(), extra.end());
}

} // namespace gpucfg::session
