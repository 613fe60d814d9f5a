// The manifest's `packages:` against the package manager's answers (Observed::packages): what to
// install, upgrade, downgrade, remove, hold or release, each with its reason. Pure. The
// dependencies apt adds are not known here: session/planning.cpp asks apt to simulate these
// actions and adds what it answers (session::simulate_packages), so the plan names them too.
#include "packages/version.hpp"
#include "plan/planner.hpp"
#include "platform/platform.hpp"
#include "util/strings.hpp"

namespace gpucfg::plan {

namespace {

// The newest version the archive offers that `spec` admits, or "".
std::string candidate(const std::vector<std::string>& offered, const packages::VersionSpec& spec) {
  for (const auto& v : offered) // newest first
    if (spec.matches(v)) return v;
  return "";
}

void one_package(const manifest::Package& want, const Observed::Packages& o, Plan& plan) {
  const std::string& name = want.name.value;
  Action a;
  a.op = Op::package;
  a.resource = Resource::package;
  a.path = "pkg:" + name;
  a.origin = want.mark.str();
  auto it = o.installed.find(name);
  const packages::Installed* now =
      it != o.installed.end() && it->second.present() ? &it->second : nullptr;
  std::string why = want.why.empty() ? "" : "; " + want.why;
  if (now)
    a.details.push_back("now: " + now->version + " (" + now->state + (now->hold ? ", held" : "") +
                        ")");
  if (want.absent) {
    if (!now) return;
    a.change = "delete";
    a.summary = packages::describe({name, now->version, ""});
    a.reason = "absent: true in the manifest" + why;
    plan.actions.push_back(a);
    return;
  }
  std::string error;
  auto spec = packages::VersionSpec::parse(want.version ? want.version->value : "", &error);
  if (!spec) return; // the manifest's error, reported at its line
  std::string wanted_text = spec->any() ? "any version" : "'" + spec->text() + "'";
  std::string hold = want.hold ? (*want.hold ? "hold" : "unhold") : "";
  if (now && now->healthy() && spec->matches(now->version)) {
    if (!want.hold || *want.hold == now->hold) return; // as wanted
    a.change = "update";
    a.version = now->version;
    a.hold = hold;
    a.summary = *want.hold ? "hold " + name + " at " + now->version
                           : "release the hold on " + name + " " + now->version;
    a.reason = std::string("hold: ") + (*want.hold ? "true" : "false") + " in the manifest" + why;
    plan.actions.push_back(a);
    return;
  }
  auto offered = o.available.find(name);
  std::string to = offered == o.available.end() ? "" : candidate(offered->second, *spec);
  if (to.empty()) {
    std::string has = offered == o.available.end() || offered->second.empty()
                          ? "none"
                          : util::join(offered->second, ", ");
    plan.errors.push_back(
        a.path + ": no version of " + name + " matching " + wanted_text + " in " + o.manager +
        "'s lists (they have: " + has +
        "); `apt-get update` refreshes them, the archive that has it may be missing from the "
        "machine's apt sources, or change the version at " +
        a.origin);
    return;
  }
  a.change = now ? "update" : "create";
  a.version = to;
  a.hold = hold;
  a.summary = packages::describe({name, now ? now->version : "", to}) +
              (hold == "hold"                         ? ", held"
               : hold == "unhold" && now && now->hold ? ", hold released"
                                                      : "");
  if (!now)
    a.reason = "not installed; the manifest wants " + wanted_text + why;
  else if (!now->healthy())
    a.reason = "dpkg has it " + now->state + why;
  else
    a.reason = now->version + " is not " + wanted_text + why;
  plan.actions.push_back(a);
}

} // namespace

void plan_packages(const manifest::Stack& s, const Observed& in, Plan& plan) {
  const Observed::Packages& o = in.packages;
  std::set<std::string> listed;
  for (const auto& p : s.packages)
    listed.insert(p.name.value);
  // Packages an earlier generation of this manifest installed (dependencies apt added, names
  // since dropped from the manifest, the whole section gone) stay recorded as its own and are
  // left as they are: a package goes only by `absent: true`, by rollback or by destroy.
  for (const auto& e : in.current.entries)
    if (e.resource == Resource::package && e.manifest == s.metadata.name &&
        !listed.count(e.path.substr(4)))
      plan.managed.push_back({e.path, Resource::package, "package", ""});
  if (s.packages.empty()) return;
  if (s.platform->os() != platform::Os::linux) {
    plan.errors.push_back("packages: gpucfg installs system packages through apt and dpkg; on " +
                          s.platform->id() + " there is no package manager it drives");
    return;
  }
  for (const auto& p : s.packages) {
    std::string path = "pkg:" + p.name.value;
    plan.managed.push_back({path, Resource::package, "package", ""});
    const ManagedEntry* other = find_entry(in.current.entries, path);
    if (other && other->manifest != s.metadata.name && other->kind != "absent")
      plan.errors.push_back(path + " is managed by the manifest '" + other->manifest +
                            "' (generation " + std::to_string(in.current.number) +
                            "); a package follows one manifest: `gpucfg destroy` that one first, "
                            "or change this one");
  }
  if (!o.observed) {
    if (!o.error.empty())
      plan.errors.push_back("packages: " + o.error);
    else
      plan.notes.push_back("packages: not observed (planned from a facts file); apply asks the "
                           "package manager of the machine itself");
    return;
  }
  for (const auto& p : s.packages)
    one_package(p, o, plan);
}

} // namespace gpucfg::plan
