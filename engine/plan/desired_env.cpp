// The framework environment's desired entries: the environment folder named by its digest
// (built once, never changed in place), the link people activate pointing at it, and the
// previous environment kept for rollback. Pure.
#include "plan/planner.hpp"
#include "plan/winenv.hpp"
#include "platform/platform.hpp"
#include "pyenv/lock.hpp"
#include "source/layout.hpp"
#include "store/key.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

namespace gpucfg::plan {

namespace {

std::string leaf(const std::string& path) {
  return path.substr(path.find_last_of('/') + 1);
}

// Windows has no folder link gpucfg can count on (a symbolic link needs a privilege or Developer
// Mode, and Wine makes neither links nor junctions), so there the environment is reached through
// the machine PATH alone: activation's entry names the built folder's Scripts\ instead of
// <env>\Scripts, and moving to a new environment is that variable's change, recorded and
// rolled back like any other.
void point_path_at(const std::string& env, const std::string& dir, std::vector<Desired>& out) {
  for (auto& d : out) {
    if (d.path != "env:PATH") continue;
    auto e = env_edit_from(d.content);
    if (!e) return;
    bool changed = false;
    for (auto& p : e->prepend)
      if (p == env + "\\Scripts") {
        p = dir + "\\Scripts";
        changed = true;
      }
    if (!changed) return;
    d.content = to_content(*e);
    auto at = d.summary.find(env + "\\Scripts");
    if (at != std::string::npos) d.summary.replace(at, env.size(), dir);
  }
}

// python.install: the interpreter's folder, a tree unpacked from its pinned archive like a
// toolkit's (listed in the store, recorded, rolled back); before the environment that needs it.
Desired interpreter_tree(const manifest::Stack& s, const Observed& observed) {
  const auto& in = *s.python->install;
  Desired t;
  t.path = in.into.value;
  t.kind = "tree";
  t.resource = Resource::python_env;
  t.summary = "Python " + in.version.value.str() + " in " + in.into.value;
  t.why = "python.install";
  t.origin = in.mark.str();
  if (auto it = observed.resolved.find("interpreter"); it != observed.resolved.end()) {
    t.artifacts = it->second.artifacts;
    if (!t.artifacts.empty()) t.summary += " from " + t.artifacts.front().file;
    t.key = store::archives_key(t.artifacts, "", source::target_arch(s.platform->id()));
  }
  t.needs_source = t.artifacts.empty();
  return t;
}

} // namespace

void env_wanted(const manifest::Stack& s, const probe::Facts& facts, Wanted& w) {
  if (!s.python || s.python->adopted()) return;
  if (s.python->install) w.paths.push_back(s.python->install->into.value);
  w.paths.push_back(s.python->env.value);
  auto d = pyenv::decide(s, pyenv::interpreters(facts));
  if (d.dir.empty()) return;
  w.paths.push_back(d.dir);
  w.paths.push_back(d.dir + "/gpucfg-env.json");
}

void env_desired(const manifest::Stack& s, const probe::Facts& facts, const Observed& observed,
                 std::vector<Desired>& out) {
  if (!s.python || s.python->adopted()) return;
  const auto& py = *s.python;
  auto d = pyenv::decide(s, pyenv::interpreters(facts));
  if (d.dir.empty() || !d.errors.empty()) return; // reported by the checks
  if (d.installs) out.push_back(interpreter_tree(s, observed));
  Desired env;
  env.path = d.dir;
  env.kind = "python-env";
  env.resource = Resource::python_env;
  env.from = d.python->path;
  env.content = d.marker;
  env.sha256 = util::sha256_hex(d.marker);
  // Source-only projects are named in the summary itself: building one runs its setup code,
  // which a reviewer should see without --explain.
  std::vector<std::string> built;
  for (const auto& w : d.wheels)
    if (auto sd = w.sdist() ? pyenv::parse_sdist_name(w.wheel) : std::nullopt)
      built.push_back(sd->name + " " + sd->version);
  // The framework's own wheel by name: the file a reviewer checks first (which build, which
  // Python, which platform).
  std::string framework;
  if (s.framework)
    for (const auto& w : d.wheels)
      if (auto n = pyenv::parse_wheel_name(w.wheel);
          n && source::pep503_name(n->name) == source::pep503_name(s.framework->name))
        framework = w.wheel + " and ";
  std::size_t others = d.wheels.size() - built.size() - (framework.empty() ? 0 : 1);
  env.summary =
      "Python " + d.python->version.str() + " environment: " + framework + std::to_string(others) +
      (framework.empty() ? "" : " more") + " locked wheel(s)" +
      (built.empty() ? ""
                     : ", and " + util::join(built, ", ") + " built from " +
                           (built.size() == 1 ? "its locked source" : "their locked sources"));
  env.why = "python.lock for " + pyenv::target(s.platform->id(), d.python->version) +
            ", built by " + d.why;
  env.origin = py.mark.str();
  if (auto it = observed.resolved.find("python"); it != observed.resolved.end())
    env.artifacts = it->second.artifacts;
  out.push_back(env);
  bool windows = s.platform->os() == platform::Os::windows;
  if (windows && py.activate) point_path_at(py.env.value, d.dir, out);
  // The link is what people and the profile name; it moves only once the new folder is whole.
  if (!windows)
    out.push_back({py.env.value, "symlink", "", "", "", leaf(d.dir), "", Resource::python_env,
                   "the environment " + py.env.value + " -> " + leaf(d.dir), "python.env",
                   py.env.mark.str()});
  // One previous folder stays, so that rollback finds it; older ones go. During an update the
  // previous one is where the link points now; once converged, it is the other one recorded.
  std::string parent = py.env.value.substr(0, py.env.value.find_last_of('/'));
  auto ours = [&](const std::string& path) {
    return path != d.dir && util::starts_with(path, py.env.value + "-") &&
           path.find('/', py.env.value.size()) == std::string::npos;
  };
  std::vector<std::string> keep;
  auto it = observed.paths.find(py.env.value);
  std::string now = it != observed.paths.end() && it->second.kind == PathKind::symlink
                        ? parent + "/" + it->second.link_target
                        : "";
  if (!now.empty() && ours(now)) {
    keep.push_back(now);
  } else {
    for (const auto& e : observed.current.entries)
      if (e.resource == Resource::python_env && e.kind == "tree" && ours(e.path))
        keep.push_back(e.path);
  }
  for (const auto& k : keep)
    out.push_back({k, "keep", "", "", "", "", "", Resource::python_env,
                   "the previous environment, kept for rollback", "python.env", py.env.mark.str()});
}

} // namespace gpucfg::plan
