#include "exec/packages.hpp"

#include "util/strings.hpp"

namespace gpucfg::exec {

namespace {

std::string name_of(const plan::Action& a) {
  return a.path.substr(4);
} // "pkg:NAME"

std::string state_of(const std::string& name, const packages::InstalledMap& now) {
  auto it = now.find(name);
  if (it == now.end() || !it->second.present()) return name + ": not installed";
  return name + " " + it->second.version + ": " + it->second.state +
         (it->second.hold ? ", held" : "");
}

} // namespace

bool has_packages(const plan::Plan& p) {
  for (const auto& a : p.actions)
    if (a.op == plan::Op::package) return true;
  return false;
}

plan::ManagedEntry package_entry(const std::string& path, const packages::InstalledMap& now) {
  plan::ManagedEntry e;
  e.path = path;
  e.resource = plan::Resource::package;
  auto it = now.find(path.substr(4));
  if (it == now.end() || !it->second.present()) {
    e.kind = "absent";
    return e;
  }
  e.kind = "package";
  e.value = it->second.version;
  e.hold = it->second.hold;
  return e;
}

Status run_packages(Machine& m, Transaction& tx, const plan::Plan& p,
                    const packages::InstalledMap& before) {
  std::vector<packages::Target> targets;
  Step undo;
  undo.kind = StepKind::packages;
  for (const auto& a : p.actions) {
    if (a.op != plan::Op::package) continue;
    packages::Target t{name_of(a), a.version, std::nullopt};
    if (!a.hold.empty()) t.hold = a.hold == "hold";
    targets.push_back(t);
    auto it = before.find(t.name);
    bool was = it != before.end() && it->second.present();
    undo.packages.push_back({t.name, was ? it->second.version : "", was && it->second.hold});
  }
  if (targets.empty()) return "";
  if (!m.packages) return "this machine has no package manager gpucfg drives";
  if (Status s = tx.note(undo); !s.empty()) return s;
  std::string log;
  std::string failed = m.packages->apply(targets, &log);
  if (failed.empty()) return "";
  std::string why;
  auto after = m.packages->installed(&why);
  std::vector<std::string> states;
  for (const auto& t : targets)
    states.push_back(after ? state_of(t.name, *after) : t.name + ": unknown (" + why + ")");
  return m.packages->name() + ": " + failed + "; dpkg then had " + util::join(states, ", ");
}

std::string packages_not_back(Machine& m, const plan::Plan& p,
                              const packages::InstalledMap& before) {
  if (!m.packages || !has_packages(p)) return "";
  std::string why;
  auto after = m.packages->installed(&why);
  if (!after) return "the packages' state afterwards cannot be read (" + why + ")";
  std::vector<std::string> off;
  for (const auto& a : p.actions) {
    if (a.op != plan::Op::package) continue;
    std::string name = name_of(a);
    if (state_of(name, before) != state_of(name, *after))
      off.push_back(state_of(name, *after) + " (was " + state_of(name, before) + ")");
  }
  return off.empty() ? "" : "not every package could be put back: " + util::join(off, "; ");
}

} // namespace gpucfg::exec
