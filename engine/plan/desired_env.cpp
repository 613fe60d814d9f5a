// The framework environment's desired entries: the environment folder named by its digest
// (built once, never changed in place), the link people activate pointing at it, and the
// previous environment kept for rollback. Pure.
#include "plan/planner.hpp"
#include "platform/platform.hpp"
#include "pyenv/lock.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

namespace gpucfg::plan {

namespace {

std::string leaf(const std::string& path) {
  return path.substr(path.find_last_of('/') + 1);
}

} // namespace

void env_wanted(const manifest::Stack& s, const probe::Facts& facts, Wanted& w) {
  if (!s.python || s.python->adopted()) return;
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
  env.summary =
      "Python " + d.python->version.str() +
      " environment: " + std::to_string(d.wheels.size() - built.size()) + " locked wheel(s)" +
      (built.empty() ? ""
                     : ", and " + util::join(built, ", ") + " built from " +
                           (built.size() == 1 ? "its locked source" : "their locked sources"));
  env.why = "python.lock for " + pyenv::target(s.platform->id(), d.python->version) +
            ", built by " + d.why;
  env.origin = py.mark.str();
  if (auto it = observed.resolved.find("python"); it != observed.resolved.end())
    env.artifacts = it->second.artifacts;
  out.push_back(env);
  // The link is what people and the profile name; it moves only once the new folder is whole.
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
