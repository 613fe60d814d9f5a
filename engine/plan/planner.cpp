// The diff: each desired entry against what is there, removals of what the last generation
// managed and the manifest no longer wants, and the checks. Pure.
#include "plan/planner.hpp"

#include "plan/env_render.hpp"
#include "platform/platform.hpp"
#include "store/key.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

namespace gpucfg::plan {
namespace {

const PathState k_absent{};

const PathState& state_of(const Observed& o, const std::string& path) {
  auto it = o.paths.find(path);
  return it == o.paths.end() ? k_absent : it->second;
}

const probe::Toolkit* toolkit_at(const probe::Facts& f, const std::string& prefix) {
  for (const auto& t : f.toolkits)
    if (t.realpath == prefix || t.path == prefix) return &t;
  return nullptr;
}

bool version_matches(const std::string& have, const util::Version& want) {
  auto v = util::Version::parse(have);
  return v && v->has_prefix(want);
}

const probe::CudnnCopy* cudnn_in(const probe::Facts& f, const std::string& prefix,
                                 const util::Version& want) {
  // The copy in one of the prefix's own library folders: /usr is a prefix of /usr/local/cuda too.
  for (const auto& c : f.cudnn)
    for (const char* d : {"/lib64", "/lib", "/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu"})
      if (c.lib_dir == prefix + d && version_matches(c.version, want)) return &c;
  return nullptr;
}

// Whether the manifest names a source for d's package on this platform (one that failed to
// resolve has its own error already; a second "names no source" would be false).
bool names_source(const manifest::Stack& s, const Desired& d) {
  if (d.resource == Resource::cudnn) return s.cudnn && s.cudnn->source;
  return d.resource == Resource::toolkit && s.cuda && s.cuda->source;
}

// "is a dir"; a path known only from a host's saved records that no longer looked as recorded
// is said as such (its kind then was not read).
std::string is_a(const PathState& st) {
  if (st.kind == PathKind::unknown) return "not as gpucfg recorded it when the facts were taken";
  return std::string("is a ") + to_string(st.kind);
}

bool managed_by_us(const Observed& o, const std::string& path) {
  return find_entry(o.current.entries, path) != nullptr;
}

Action action_for(const Desired& d, const std::string& change, const std::string& reason) {
  Action a;
  a.resource = d.resource;
  a.path = d.path;
  a.change = change;
  a.summary = d.summary;
  a.reason = reason;
  a.origin = d.origin;
  a.content = d.content;
  a.from = d.from;
  a.sha256 = d.sha256;
  a.mode = d.mode;
  a.link_target = d.link_target;
  a.files = d.files;
  a.files_from = d.files_from;
  if (d.kind == "file")
    a.op = Op::write;
  else if (d.kind == "symlink")
    a.op = Op::symlink;
  else if (d.kind == "absent")
    a.op = Op::remove;
  else if (d.kind == "tree")
    a.op = Op::install_tree;
  else if (d.kind == "python-env")
    a.op = Op::build_env;
  else if (d.kind == "setenv")
    a.op = Op::setenv;
  if (!d.why.empty()) a.details.push_back("why: " + d.why);
  a.artifacts = d.artifacts;
  a.from_host = d.from_host;
  a.key = d.key;
  for (const auto& art : d.artifacts)
    a.details.push_back(describe(art));
  return a;
}

// A file someone edited since gpucfg wrote it is kept beside it before it is replaced or
// removed, and the plan says where (as dpkg keeps .dpkg-old and etckeeper commits first).
void keep_edit(Action& a, const std::string& recorded, const std::string& now, int generation) {
  a.keep_as = edited_aside(a.path, recorded, now, generation);
}

// A Windows variable (the registry): planned from a facts file as a change, since nothing there
// says what it holds; live, compared with its value now, so a second apply plans nothing.
void diff_variable(const PlanInput& in, const Desired& d, Plan& plan) {
  const std::string where = "machine environment (Windows registry)";
  auto edit = env_edit_from(d.content);
  std::string key = edit ? edit->scope + ":" + edit->name : "";
  if (!in.observed.live || !edit ||
      (!in.observed.variables.count(key) && !in.observed.variable_errors.count(key))) {
    plan.actions.push_back(action_for(d, "create", where)); // not observed: assumed absent
    return;
  }
  if (auto e = in.observed.variable_errors.find(key); e != in.observed.variable_errors.end()) {
    plan.errors.push_back(d.path + ": " + e->second);
    return;
  }
  auto it = in.observed.variables.find(key);
  std::optional<std::string> now = it == in.observed.variables.end() ? std::nullopt : it->second;
  auto want = edited(now, *edit);
  if (want == now) return;
  Action a =
      action_for(d,
                 !want ? "delete"
                 : now ? "update"
                       : "create",
                 edit->scope == "user" ? "the user's environment (Windows registry)" : where);
  if (now) a.details.push_back("now: " + *now);
  bool list_edit = !edit->prepend.empty() || !edit->append.empty() || !edit->remove.empty();
  if (want && list_edit) a.details.push_back("becomes: " + *want); // a set shows it in the summary
  plan.actions.push_back(a);
}

// The drift of a tree gpucfg recorded, split: files added since (the user's; files gpucfg placed
// into the tree as entries of their own are not additions) and files changed or removed.
struct Drift {
  std::vector<std::string> added, damaged;
};

Drift drift_of(const Observed& o, const std::string& path) {
  Drift out;
  auto it = o.tree_drift.find(path);
  if (it == o.tree_drift.end()) return out;
  for (const auto& x : it->second)
    if (x[0] != '+')
      out.damaged.push_back(x);
    else if (!find_entry(o.current.entries, path + "/" + x.substr(1)))
      out.added.push_back(x);
  return out;
}

// What happens to the files of a recorded tree that an install replaces, said in the plan:
// additions are carried into the new tree (apply stops, naming them, where the new tree has a
// file of the same name); changed files are replaced by the new tree's.
void say_carried(const std::string& path, const Drift& drift, Plan& plan) {
  if (!drift.added.empty())
    plan.notes.push_back(path +
                         ": files added since gpucfg installed it, carried into the new "
                         "tree: " +
                         util::join(drift.added, ", "));
}

// An environment built in place (no store entry) that changed since: removed or changed files
// are repaired by building it again; files added since are kept, which a rebuild would not do,
// so damage beside additions is refused, naming both. True when it decided the entry.
bool drifted_env(const PlanInput& in, const Desired& d, Plan& plan) {
  const Observed& o = in.observed;
  Drift drift = drift_of(o, d.path);
  if (drift.damaged.empty()) {
    if (!drift.added.empty())
      plan.notes.push_back(d.path + ": files added since gpucfg installed it, left as they are: " +
                           util::join(drift.added, ", "));
    return false;
  }
  std::string what = util::join(drift.damaged, ", ");
  if (!drift.added.empty()) {
    plan.errors.push_back(d.path + " changed since gpucfg installed it (" + what +
                          "); repairing it would drop the files added since (" +
                          util::join(drift.added, ", ") + "): move them out, then plan again");
    return true;
  }
  plan.actions.push_back(action_for(
      d, "update", "changed since generation " + std::to_string(o.current.number) + ": " + what));
  return true;
}

// A toolkit or cuDNN tree gpucfg installed from the store: converged when the entry the manifest
// names now is the one recorded and the tree is as that entry's record says. Never by a version
// read back: the sources decide (a new pin of the same version is a change; a tree whose
// version.json lies elsewhere is not). Additions are carried into whatever is installed.
void diff_recorded_tree(const PlanInput& in, const Desired& d, const ManagedEntry& rec,
                        Plan& plan) {
  const Observed& o = in.observed;
  Drift drift = drift_of(o, d.path);
  auto unknown = o.tree_unknown.find(d.path);
  if (unknown != o.tree_unknown.end() && rec.key == d.key) {
    plan.warnings.push_back(d.path + ": " + unknown->second +
                            "; drift cannot be checked and files added to it cannot be told "
                            "from gpucfg's");
    return;
  }
  std::string reason;
  if (d.key.empty() && (o.from_records || !o.live)) return; // cannot be told from here
  if (d.key.empty()) {
    reason = "an archive is not pinned, so gpucfg cannot tell these are the bytes it installed: "
             "installed again";
  } else if (rec.key.empty()) {
    reason = "installed by a gpucfg that kept no store: installed again from the same sources, "
             "so that it has an owner (and a way back)";
  } else if (rec.key != d.key) {
    auto was = o.tree_inputs.find(d.path);
    std::vector<std::string> now = store::describe_inputs(d.artifacts);
    reason = "its sources changed";
    if (was != o.tree_inputs.end() && !was->second.empty() && !now.empty())
      reason += ": was " + util::join(was->second, ", ") + "; now " + util::join(now, ", ");
    else if (d.artifacts.empty())
      reason += ": the source folder " + d.from + " differs from the one it was copied from";
  } else if (!drift.damaged.empty()) {
    reason = "changed since generation " + std::to_string(o.current.number) + ": " +
             util::join(drift.damaged, ", ") +
             " (repaired from the store's entry, checked by "
             "content, or unpacked again)";
  } else {
    if (!drift.added.empty())
      plan.notes.push_back(d.path + ": files added since gpucfg installed it, left as they are: " +
                           util::join(drift.added, ", "));
    return;
  }
  if (d.artifacts.empty() && d.from.empty()) {
    plan.errors.push_back(d.path + ": " + reason + ", and the manifest names no source to " +
                          "install it from");
    return;
  }
  if (unknown != o.tree_unknown.end()) {
    plan.errors.push_back(d.path + ": " + reason + ", but " + unknown->second +
                          ", so files added to it cannot be told from gpucfg's: move the folder "
                          "aside, then plan again");
    return;
  }
  if (rec.key != d.key && !drift.damaged.empty())
    plan.notes.push_back(d.path +
                         ": changed since gpucfg installed it, replaced by the new tree: " +
                         util::join(drift.damaged, ", "));
  say_carried(d.path, drift, plan);
  plan.actions.push_back(action_for(d, "update", reason));
}

// An environment folder is named by its digest, so one with a finished marker is the wanted one
// and never needs updating; anything else at that name is refused, not replaced.
void diff_env(const PlanInput& in, const Desired& d, Plan& plan) {
  const Observed& o = in.observed;
  if (o.from_records) { // a saved host: its record names the environment folder by its digest
    const PathState& st = state_of(o, d.path);
    if (managed_by_us(o, d.path) && st.kind == PathKind::dir) return;
    plan.actions.push_back(action_for(d, "create", "not in that host's gpucfg record"));
    return;
  }
  if (!o.live) {
    plan.actions.push_back(
        action_for(d, "create", "not observed (planning from a facts file); assumed absent"));
    return;
  }
  const PathState& marker = state_of(o, d.path + "/gpucfg-env.json");
  if (marker.kind == PathKind::file && marker.sha256 == d.sha256) {
    drifted_env(in, d, plan);
    return;
  }
  if (state_of(o, d.path).kind != PathKind::absent) {
    plan.errors.push_back("python.env: " + d.path +
                          " exists but holds no environment gpucfg finished; remove it");
    return;
  }
  Action a = action_for(d, "create", "not built yet");
  if (a.artifacts.empty())
    plan.errors.push_back("python.env: the locked wheels for " + d.path + " were not resolved");
  plan.actions.push_back(a);
}

void diff_one(const PlanInput& in, const Desired& d, Plan& plan) {
  const auto& s = in.stack;
  const Observed& o = in.observed;
  const PathState& st = state_of(o, d.path);
  if (d.kind == "adopt") {
    const auto* t = toolkit_at(in.facts, d.path);
    if (!t)
      plan.errors.push_back("cuda.source adopt: no toolkit at " + d.path + " on this machine");
    else if (!version_matches(t->version, s.cuda->version.value))
      plan.errors.push_back("cuda.source adopt: " + d.path + " holds CUDA " + t->version +
                            ", not " + s.cuda->version.value.str() + " [" + t->version_evidence +
                            "]");
    return;
  }
  if (d.kind == "adopted") {
    const ManagedEntry* rec = find_entry(o.current.entries, d.path);
    if (!rec || rec->kind != "adopted") {
      Action a = action_for(d, "create", "not recorded yet");
      a.op = Op::adopt;
      plan.actions.push_back(a);
      return;
    }
    if (auto it = o.tree_drift.find(d.path); it != o.tree_drift.end() && !it->second.empty())
      plan.errors.push_back(
          "the adopted toolkit " + d.path + " changed since gpucfg adopted it (" +
          util::join(it->second, ", ") +
          "); gpucfg does not own it, so it will not repair it: reinstall it, then "
          "`gpucfg destroy` and apply again to adopt it anew");
    return;
  }
  if (d.kind == "adopt-cudnn") {
    if (!cudnn_in(in.facts, d.path, s.cudnn->version.value))
      plan.errors.push_back("cudnn.source adopt: no cuDNN " + s.cudnn->version.value.str() +
                            " under " + d.path);
    return;
  }
  if (d.resource == Resource::cudnn && d.needs_source &&
      cudnn_in(in.facts, s.cudnn->prefix.value, s.cudnn->version.value))
    return; // already placed (seen by the probe), nothing to copy
  if (d.kind == "tree") {
    const ManagedEntry* rec = find_entry(o.current.entries, d.path);
    if (rec && rec->kind == "tree") return diff_recorded_tree(in, d, *rec, plan);
    bool observed = o.live && !o.from_records;
    const auto* t = toolkit_at(in.facts, d.path);
    // A saved host's facts (nothing more can be told from here), or a manifest that names no
    // source (gpucfg could not install it, so it is not gpucfg's either): the toolkit is there.
    if ((!observed || d.needs_source) && d.resource == Resource::toolkit && t &&
        version_matches(t->version, s.cuda->version.value))
      return;
    if (observed ? st.kind != PathKind::absent : t != nullptr) {
      // Whatever version it says it holds: only what gpucfg installed is its to replace.
      plan.errors.push_back(std::string(to_string(d.resource)) + ": " + d.path +
                            " exists and gpucfg did not install it; refusing to replace it "
                            "(adopt it with source: {adopt: true}, or choose another prefix)");
      return;
    }
    // (A facts file lists a machine's toolkits, so "none there" holds for it too.)
    const char* none = d.resource == Resource::cudnn && observed ? "no cuDNN there"
                       : d.resource == Resource::python_env      ? "no interpreter there"
                                                                 : "no toolkit there";
    Action a = action_for(d, "create", none);
    if (d.needs_source && !names_source(s, d)) {
      // An error here, not only in apply: a reviewer reading the plan sees apply's verdict.
      plan.errors.push_back("toolkit " + d.path + ": " + no_source(d.resource, s.platform->id()) +
                            "; apply would refuse this step");
    }
    plan.actions.push_back(a);
    return;
  }
  if (d.kind == "keep") return; // managed, so not removed; never changed
  if (d.kind == "python-env") return diff_env(in, d, plan);
  if (d.kind == "setenv") return diff_variable(in, d, plan);
  if (!o.live) { // planning from a facts file: paths are not observed
    if (d.kind != "absent") {
      Action a =
          action_for(d, "create", "not observed (planning from a facts file); assumed absent");
      if (d.needs_source && !names_source(s, d))
        a.details.push_back(no_source(d.resource, s.platform->id()));
      plan.actions.push_back(a);
    }
    return;
  }
  if (d.kind == "absent") {
    if (st.kind != PathKind::absent)
      plan.actions.push_back(
          action_for(d, "delete", std::string("exists (") + to_string(st.kind) + ")"));
    return;
  }
  if (d.kind == "symlink") {
    if (st.kind == PathKind::symlink && st.link_target == d.link_target) return;
    if (d.resource == Resource::python_env && st.kind != PathKind::absent &&
        !managed_by_us(o, d.path)) {
      // A folder or link there is someone's own environment: replacing it would lose it.
      plan.errors.push_back("python.env: " + d.path + " exists (" + to_string(st.kind) +
                            ") and gpucfg did not make it; move it away or choose another "
                            "python.env (" +
                            d.origin + ")");
      return;
    }
    plan.actions.push_back(action_for(d, st.kind == PathKind::absent ? "create" : "update",
                                      st.kind == PathKind::absent    ? "missing"
                                      : st.kind == PathKind::symlink ? "points to " + st.link_target
                                                                     : is_a(st) + ", not a link"));
    return;
  }
  // A file: compare content hashes (inline content, pinned, or the source's).
  std::string want = d.sha256;
  if (want.empty() && !d.from.empty()) want = state_of(o, d.from).sha256;
  // A file copied out of the toolkit this plan installs (TF 2.5's cusolver64_10.dll alias on
  // Windows) is there once the tree is: its absence now is no error.
  bool from_new_toolkit = s.cuda && s.cuda->source && !toolkit_at(in.facts, s.cuda->prefix.value) &&
                          (util::starts_with(d.from, s.cuda->prefix.value + "/") ||
                           util::starts_with(d.from, s.cuda->prefix.value + "\\"));
  if (!d.from.empty() && !d.from_host && state_of(o, d.from).kind == PathKind::absent &&
      !d.needs_source && !from_new_toolkit) {
    plan.errors.push_back(std::string(to_string(d.resource)) + ": source " + d.from + " of " +
                          d.path + " does not exist");
    return;
  }
  if (st.kind == PathKind::file && !want.empty() && st.sha256 == want &&
      (d.mode.empty() || st.mode.empty() || st.mode == d.mode))
    return;
  Action a = action_for(d, st.kind == PathKind::absent ? "create" : "update",
                        st.kind == PathKind::absent ? "missing"
                        : st.kind != PathKind::file ? is_a(st) + ", not a file"
                        : st.sha256 != want ? "content differs (sha256 " + st.sha256.substr(0, 12) +
                                                  " != " + want.substr(0, 12) + ")"
                                            : "mode " + st.mode + " != " + d.mode);
  if (a.sha256.empty()) a.sha256 = want;
  if (const ManagedEntry* rec = find_entry(o.current.entries, d.path);
      rec && rec->kind == "file" && st.kind == PathKind::file)
    keep_edit(a, rec->sha256, st.sha256, o.current.number);
  if (d.needs_source && !names_source(s, d)) {
    plan.errors.push_back(d.path + ": " + no_source(d.resource, s.platform->id()) +
                          "; apply would refuse this step");
  }
  plan.actions.push_back(a);
}

} // namespace

Action ldconfig_action() {
  Action a;
  a.op = Op::run;
  a.resource = Resource::loader;
  a.path = "ldconfig";
  a.change = "run";
  a.summary = "rebuild the loader cache";
  a.reason = "an /etc/ld.so.conf.d entry changed";
  return a;
}

Plan make_plan(const PlanInput& in) {
  const auto& s = in.stack;
  Plan plan;
  plan.manifest = s.metadata.name;
  plan.files = s.files_read;
  plan.platform = s.platform->id();
  plan.root = in.facts.root;
  plan.facts_source = in.facts_source;
  plan.host = in.facts.platform.hostname;
  // What `apply PLAN` re-checks before changing anything; a plan made from a facts file is never
  // applied as is (apply refuses it), so it carries none (and a fleet does not hash 1,000 hosts).
  if (in.facts_source == "live") plan.fingerprint = fingerprint(in.facts, in.observed);
  plan_packages(s, in.observed, plan); // first: the files may need what they install
  run_checks(in, plan);                // after: a driver the packages install is judged
  if (in.observed.interrupted)
    plan.warnings.push_back("an apply was interrupted here (its journal is in the state folder): "
                            "the next apply or rollback undoes its unfinished changes first; this "
                            "plan shows the machine as it is now, with them");
  for (const auto& [key, r] : in.observed.resolved)
    for (const auto& e : r.errors)
      plan.errors.push_back(e);
  for (auto& e : placement_errors(s, in.observed))
    plan.errors.push_back(e);
  auto desired = desired_state(s, in.observed, &in.kb);
  env_desired(s, in.facts, in.observed, desired);
  conflicts(in, desired, plan);
  untrusted_paths(in, desired, plan);
  std::set<std::string> wanted_paths;
  bool loader_changed = false;
  for (const auto& d : desired) {
    wanted_paths.insert(d.path);
    bool unowned_tree =
        d.kind == "tree" && d.needs_source && !find_entry(in.observed.current.entries, d.path);
    if (unowned_tree) {
      // No source: never gpucfg's to install or record (a check that it is there, below).
    } else if (d.kind == "file" || d.kind == "symlink" || d.kind == "absent" || d.kind == "tree" ||
               d.kind == "adopted")
      plan.managed.push_back({d.path, d.resource, d.kind, ""});
    else if (d.kind == "python-env" || d.kind == "keep")
      plan.managed.push_back({d.path, d.resource, "tree", ""});
    else if (d.kind == "setenv")
      if (auto e = env_edit_from(d.content))
        plan.managed.push_back({d.path, d.resource, "env", "", e->scope});
    std::size_t before = plan.actions.size();
    diff_one(in, d, plan);
    if (d.resource == Resource::loader && plan.actions.size() > before) loader_changed = true;
  }
  // What the last generation managed for this manifest and the manifest no longer wants.
  for (const auto& e : in.observed.current.entries) {
    // An adopted tree is never gpucfg's to remove: dropping it only drops the record.
    if (e.manifest != s.metadata.name || wanted_paths.count(e.path) || e.kind == "absent" ||
        e.kind == "adopted" || e.resource == Resource::package) // packages: plan/packages.cpp
      continue;
    if (state_of(in.observed, e.path).kind == PathKind::absent) continue;
    if (e.kind == "tree" && in.observed.tree_unknown.count(e.path)) {
      plan.errors.push_back(e.path + ": no longer in the manifest, but " +
                            in.observed.tree_unknown.at(e.path) +
                            ", so files added to it cannot be told from gpucfg's: move the folder "
                            "aside, then plan again");
      continue;
    }
    if (e.kind == "tree")
      if (Drift drift = drift_of(in.observed, e.path); !drift.added.empty()) {
        plan.errors.push_back(e.path +
                              ": no longer in the manifest, but it holds files gpucfg "
                              "did not install (" +
                              util::join(drift.added, ", ") + "); move them out, then try again");
        continue;
      }
    Action a;
    a.op = e.kind == "tree" ? Op::remove_tree : Op::remove;
    a.resource = e.resource;
    a.path = e.path;
    a.change = "delete";
    a.summary = "no longer in the manifest";
    a.reason = "managed by generation " + std::to_string(in.observed.current.number);
    if (e.kind == "file")
      keep_edit(a, e.sha256, state_of(in.observed, e.path).sha256, in.observed.current.number);
    plan.actions.push_back(a);
    loader_changed = loader_changed || e.resource == Resource::loader;
  }
  if (loader_changed && s.platform->os() == platform::Os::linux)
    plan.actions.push_back(ldconfig_action());
  remove_emptied_folders(in.observed.made_folders, "emptied by this apply", plan);
  return plan;
}

std::string fingerprint(const probe::Facts& facts, const Observed& observed) {
  nlohmann::json j = probe::to_json(facts);
  nlohmann::json paths = nlohmann::json::object();
  for (const auto& [p, st] : observed.paths)
    paths[p] = {to_string(st.kind), st.link_target, st.size, st.mtime_ns, st.sha256};
  j["observed"] = paths;
  if (!observed.variables.empty()) { // Windows variables: a plan is stale once one changed
    nlohmann::json vars = nlohmann::json::object();
    for (const auto& [k, v] : observed.variables)
      vars[k] = v ? nlohmann::json(*v) : nlohmann::json(nullptr);
    j["variables"] = vars;
  }
  j["generation"] = observed.current.number;
  if (observed.packages.observed) { // a plan is stale once a package it reads changed
    nlohmann::json pk = nlohmann::json::object();
    for (const auto& [name, i] : observed.packages.installed)
      pk[name] = {i.version, i.state, i.hold};
    j["packages"] = pk;
    j["offered"] = observed.packages.available;
  }
  return util::sha256_hex(j.dump());
}

} // namespace gpucfg::plan
