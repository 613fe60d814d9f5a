#include "exec/restore.hpp"

#include "plan/planner.hpp"
#include "plan/winenv.hpp"
#include "store/tree.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <limits>
#include <set>

namespace gpucfg::exec {
namespace {

using plan::find_entry;

// The file list a tree entry was recorded with: the store's record of its entry, or (a tree
// built in place, or recorded before the store) its blob in the state folder.
std::optional<store::TreeManifest> recorded_files(const Machine& m, const StateStore& state,
                                                  const plan::ManagedEntry& e) {
  if (!e.key.empty()) {
    auto r = m.store.record(e.key);
    return r ? std::optional<store::TreeManifest>(r->tree) : std::nullopt;
  }
  auto text = e.sha256.empty() ? std::nullopt : m.disk.read(state.blob(e.sha256));
  auto r = text ? store::parse_record(*text) : std::nullopt;
  return r ? std::optional<store::TreeManifest>(r->tree) : std::nullopt;
}

// Files in a tree gpucfg recorded that the record does not list: the user's (and files gpucfg
// placed there as entries of their own, which are left out). A rollback to another tree
// carries them over; one that removes the tree refuses, naming them.
// nullopt when the tree's record is gone: its files cannot be told from a user's.
std::optional<std::vector<std::string>> additions(const Machine& m, const StateStore& state,
                                                  const plan::ManagedEntry& recorded,
                                                  const std::vector<plan::ManagedEntry>& current) {
  std::vector<std::string> out;
  auto then = recorded_files(m, state, recorded);
  if (!then) return std::nullopt;
  for (const auto& d :
       store::tree_drift(*then, store::scan_tree(m.disk, m.host(recorded.path), false, 1),
                         std::numeric_limits<std::size_t>::max()))
    if (d[0] == '+' && !find_entry(current, recorded.path + "/" + d.substr(1)))
      out.push_back(d.substr(1));
  return out;
}

// The action for a tree `want` records: unchanged, materialized again from the store, or an
// error when the store cannot give it back byte for byte.
std::optional<plan::Action> restore_tree(const Machine& m, const StateStore& state,
                                         const plan::ManagedEntry& want,
                                         const plan::ManagedEntry* now, bool present,
                                         plan::Action a, std::vector<std::string>& errors) {
  bool ours = now && now->kind == "tree";
  std::string changed;
  if (ours && (want.key.empty() ? now->sha256 == want.sha256 : now->key == want.key)) {
    // Already that tree, unless files of it changed since: then it comes back as recorded too.
    auto then = recorded_files(m, state, *now);
    if (!then || want.key.empty()) return std::nullopt;
    std::vector<std::string> damage;
    for (auto& d :
         store::tree_drift(*then, store::scan_tree(m.disk, m.host(want.path), false, 1), 20))
      if (d[0] != '+') damage.push_back(d);
    if (damage.empty()) return std::nullopt;
    changed = " (changed since: " + util::join(damage, ", ") + ")";
  }
  if (present && !ours) return std::nullopt; // never gpucfg's since: left to its owner
  if (want.key.empty()) {
    errors.push_back(want.path + ": that generation's tree was recorded before gpucfg kept trees "
                                 "in its store, so it cannot be put back; apply its manifest "
                                 "again instead");
    return std::nullopt;
  }
  std::string damage = m.store.check(want.key, false);
  if (!damage.empty()) {
    errors.push_back(want.path + ": the store's copy of the tree that generation recorded (" +
                     want.key.substr(0, 12) + ") is " +
                     (damage == "not in the store" ? "gone" : damage) +
                     "; apply its manifest again instead");
    return std::nullopt;
  }
  a.op = plan::Op::restore_tree;
  a.key = want.key;
  for (const auto& sha : want.artifacts) {
    source::Artifact art;
    art.sha256 = sha;
    a.artifacts.push_back(art);
  }
  a.change = present ? "update" : "create";
  a.summary = "the tree as recorded, linked again from gpucfg's store (" + want.key.substr(0, 12) +
              ")" + changed;
  return a;
}

// A Windows variable back to the value `want` records (absent: deleted), or nothing when it
// already holds it.
std::optional<plan::Action> restore_variable(const Machine& m, const plan::ManagedEntry& want,
                                             const std::string& why,
                                             std::vector<std::string>& errors) {
  plan::EnvEdit edit;
  edit.name = want.path.substr(4); // "env:NAME"
  edit.scope = want.scope.empty() ? "system" : want.scope;
  std::string error;
  auto now = m.registry.read(edit.scope, edit.name, &error);
  if (!error.empty()) {
    errors.push_back(want.path + ": " + error);
    return std::nullopt;
  }
  bool present = want.kind == "env";
  if (present ? now && now->value == want.value : !now) return std::nullopt;
  if (present)
    edit.set = want.value;
  else
    edit.unset = true;
  plan::Action a;
  a.op = plan::Op::setenv;
  a.resource = plan::Resource::env;
  a.path = want.path;
  a.reason = why;
  a.content = plan::to_content(edit);
  a.change = !present ? "delete" : now ? "update" : "create";
  a.summary = edit.name + (present ? " = " + want.value : " (unset)");
  if (now) a.details.push_back("now: " + now->value);
  return a;
}

// A system package back to the version and hold `want` records (absent: removed), or nothing
// when it already is. A version the archive no longer offers cannot come back: said plainly, and
// the package is left as it is.
std::optional<plan::Action> restore_package(const Machine& m, const plan::ManagedEntry& want,
                                            const std::string& why, plan::Plan& p) {
  std::string name = want.path.substr(4); // "pkg:NAME"
  if (!m.packages) {
    p.errors.push_back(want.path + ": this machine has no package manager gpucfg drives");
    return std::nullopt;
  }
  std::string error;
  auto installed = m.packages->installed(&error);
  if (!installed) {
    p.errors.push_back(want.path + ": " + error);
    return std::nullopt;
  }
  auto it = installed->find(name);
  const packages::Installed* now =
      it != installed->end() && it->second.present() ? &it->second : nullptr;
  plan::Action a;
  a.op = plan::Op::package;
  a.resource = plan::Resource::package;
  a.path = want.path;
  a.reason = why;
  if (now) a.details.push_back("now: " + now->version + " (" + now->state + ")");
  if (want.kind != "package") {
    if (!now) return std::nullopt;
    a.change = "delete";
    a.summary = packages::describe({name, now->version, ""});
    return a;
  }
  bool same = now && now->healthy() && now->version == want.value;
  if (same && now->hold == want.hold) return std::nullopt;
  a.change = now ? "update" : "create";
  a.version = want.value;
  a.hold = want.hold ? "hold" : "unhold";
  if (same) {
    a.summary = want.hold ? "hold " + name + " at " + want.value
                          : "release the hold on " + name + " " + want.value;
    return a;
  }
  auto offered = m.packages->available({name}, &error);
  const auto& list = offered ? (*offered)[name] : std::vector<std::string>{};
  if (std::find(list.begin(), list.end(), want.value) == list.end()) {
    p.warnings.push_back(
        want.path + ": " + why + " wants " + name + " " + want.value + ", which " +
        m.packages->name() + "'s lists no longer have (" +
        (offered ? "they have: " + (list.empty() ? std::string("none") : util::join(list, ", "))
                 : error) +
        "); it stays " + (now ? "at " + now->version : "not installed"));
    return std::nullopt;
  }
  a.summary =
      packages::describe({name, now ? now->version : "", want.value}) + (want.hold ? ", held" : "");
  return a;
}

// An action making `path` what `want` records, or nothing when it already is. `now` is the
// current generation's entry for the path, if any.
std::optional<plan::Action> restore_action(const Machine& m, const StateStore& state,
                                           const plan::ManagedEntry& want,
                                           const std::vector<plan::ManagedEntry>& current,
                                           const std::string& why, plan::Plan& p) {
  std::vector<std::string>& errors = p.errors;
  if (util::starts_with(want.path, "env:")) return restore_variable(m, want, why, errors);
  if (util::starts_with(want.path, "pkg:")) return restore_package(m, want, why, p);
  const plan::ManagedEntry* now = find_entry(current, want.path);
  std::string h = m.host(want.path);
  auto st = m.disk.lstat(h);
  bool present = st.has_value();
  using Kind = disk::Kind;
  plan::Action a;
  a.path = want.path;
  a.resource = want.resource == plan::Resource::unknown ? plan::Resource::file : want.resource;
  a.reason = why;
  if (want.kind == "adopted") return std::nullopt; // never gpucfg's to change
  std::optional<plan::Action> out;
  // A single file that is no longer what the current generation recorded: someone's edit, kept
  // beside it first (and named) if it is to be replaced or removed.
  std::string edit_now = present && st->kind == Kind::file && now && now->kind == "file"
                             ? m.disk.sha256(h).value_or("")
                             : "";
  auto keep = [&](plan::Action& x) {
    if (!now) return;
    x.keep_as = plan::edited_aside(want.path, now->sha256, edit_now, state.current().number);
  };
  if (want.kind == "absent") {
    if (!present) return std::nullopt;
    a.op = st->kind == Kind::dir ? plan::Op::remove_tree : plan::Op::remove;
    a.change = "delete";
    a.summary = "did not exist";
    keep(a);
    out = a;
  } else if (want.kind == "symlink") {
    if (present && st->kind == Kind::symlink && m.disk.read_link(h) == want.link_target)
      return std::nullopt;
    a.op = plan::Op::symlink;
    a.link_target = want.link_target;
    a.change = present ? "update" : "create";
    a.summary = "link to " + want.link_target;
    keep(a);
    out = a;
  } else if (want.kind == "file") {
    if (present && st->kind == Kind::file && m.disk.sha256(h).value_or("") == want.sha256)
      return std::nullopt;
    a.op = plan::Op::write;
    a.from = state.blob(want.sha256);
    a.sha256 = want.sha256;
    a.mode = want.mode;
    a.change = present ? "update" : "create";
    a.summary = "content " + want.sha256.substr(0, 12);
    a.mtime_ns = want.mtime_ns;
    keep(a);
    out = a;
  } else {
    out = restore_tree(m, state, want, now, present, a, errors);
  }
  // A tree of gpucfg's about to be replaced or removed, holding files the user added: carried
  // into the tree that comes back, or, where none does, the reason to refuse (naming them).
  if (out && present && now && now->kind == "tree" && st->kind == Kind::dir) {
    auto found = additions(m, state, *now, current);
    if (!found) {
      errors.push_back(want.path + ": the record of the tree gpucfg installed there is gone, so "
                                   "files added to it cannot be told from gpucfg's; nothing will "
                                   "change (move the folder aside, then try again)");
      return std::nullopt;
    }
    if (auto added = *found; !added.empty()) {
      if (added.size() > 10) added.resize(10), added.push_back("...");
      if (out->op == plan::Op::restore_tree) {
        p.notes.push_back(want.path +
                          ": files added since gpucfg installed it, carried into the "
                          "tree that comes back: " +
                          util::join(added, ", "));
        return out;
      }
      errors.push_back(want.path + ": holds files gpucfg did not install (" +
                       util::join(added, ", ") + "); move them out, then try again");
      return std::nullopt;
    }
  }
  return out;
}

// The folders gpucfg made, with what is in each now (for plan::remove_emptied_folders).
std::vector<plan::MadeFolder> made_folders(const Machine& m, const StateStore& state) {
  std::vector<plan::MadeFolder> out;
  for (const auto& f : state.created_folders())
    if (disk::is_dir(m.disk, m.host(f))) out.push_back({f, m.disk.list(m.host(f))});
  return out;
}

// How a recorded entry is managed again: a package by the package manager, whatever its state.
std::string managed_kind(const plan::ManagedEntry& e) {
  return e.resource == plan::Resource::package ? "package" : e.kind;
}

plan::Plan restore(const Machine& m, const StateStore& state,
                   const std::vector<plan::ManagedEntry>& keep,
                   const std::vector<plan::ManagedEntry>& target, const std::string& label) {
  plan::Plan p;
  p.root = state.root().empty() ? "/" : state.root();
  p.facts_source = "live";
  p.notes.push_back(label);
  auto originals = state.originals();
  auto current = state.current().entries;
  std::set<std::string> paths;
  for (const auto& e : target) {
    paths.insert(e.path);
    if (auto a = restore_action(m, state, e, current, label, p)) p.actions.push_back(*a);
    p.managed.push_back({e.path, e.resource, managed_kind(e), e.manifest, e.scope});
  }
  for (const auto& e : keep) {
    paths.insert(e.path);
    p.managed.push_back({e.path, e.resource, managed_kind(e), e.manifest, e.scope});
  }
  for (const auto& e : current) {
    // An adopted tree was never gpucfg's: forgetting it is all a rollback or destroy does.
    if (paths.count(e.path) || e.kind == "adopted") continue;
    auto it = originals.find(e.path);
    plan::ManagedEntry orig;
    if (it != originals.end())
      orig = it->second;
    else {
      orig.path = e.path;
      orig.kind = "absent";
    }
    orig.resource = e.resource;
    if (orig.scope.empty()) orig.scope = e.scope;
    if (auto a = restore_action(m, state, orig, current, "back to before gpucfg", p))
      p.actions.push_back(*a);
  }
  bool loader = false, loader_left = false;
  for (const auto& a : p.actions)
    loader = loader || a.resource == plan::Resource::loader;
  for (const auto* list : {&target, &keep})
    for (const auto& e : *list)
      loader_left = loader_left || (e.resource == plan::Resource::loader && e.kind != "absent");
  auto cache = originals.find(k_loader_cache);
  if (loader && !loader_left && cache != originals.end() && cache->second.kind == "absent") {
    // Back to no gpucfg loader entries on a machine that had no cache before gpucfg's first
    // ldconfig (a scratch root): the cache goes, as it came.
    plan::ManagedEntry none = cache->second;
    none.resource = plan::Resource::loader;
    if (auto a = restore_action(m, state, none, {}, "back to before gpucfg", p))
      p.actions.push_back(*a);
  } else if (loader) {
    p.actions.push_back(plan::ldconfig_action());
  }
  plan::remove_emptied_folders(made_folders(m, state), label, p);
  return p;
}

} // namespace

plan::Plan rollback_plan(const Machine& m, const StateStore& state, int n) {
  std::vector<plan::ManagedEntry> target;
  if (n > 0) {
    auto g = state.generation(n);
    if (!g) {
      plan::Plan p;
      p.errors.push_back("no generation " + std::to_string(n) + " (see gpucfg history)");
      return p;
    }
    target = g->entries;
  }
  return restore(m, state, {}, target, "rollback to generation " + std::to_string(n));
}

plan::Plan destroy_plan(const Machine& m, const StateStore& state, const std::string& manifest) {
  std::vector<plan::ManagedEntry> keep;
  for (const auto& e : state.current().entries)
    if (e.manifest != manifest) keep.push_back(e);
  return restore(m, state, keep, {}, "destroy " + manifest);
}

} // namespace gpucfg::exec
