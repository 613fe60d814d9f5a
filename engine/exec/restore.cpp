#include "exec/restore.hpp"

#include "plan/tree.hpp"
#include "plan/winenv.hpp"
#include "util/fileinfo.hpp"
#include "util/registry.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <set>

namespace gpucfg::exec {
namespace {

namespace fs = std::filesystem;

using plan::find_entry;

// Files in a tree gpucfg recorded that the record does not list: the user's, which a rollback
// must not drop without a word (it refuses, naming them).
// Files gpucfg placed into the tree itself (cuDNN into a toolkit) are managed entries of their own.
std::vector<std::string> additions(const StateStore& store, const plan::ManagedEntry& recorded,
                                   const std::vector<plan::ManagedEntry>& current) {
  std::vector<std::string> out;
  auto then = plan::read_tree_record(store.blob(recorded.sha256));
  if (!then) return out;
  for (const auto& d : plan::tree_drift(*then, plan::scan_tree(store.host(recorded.path), false, 1),
                                        std::numeric_limits<std::size_t>::max()))
    if (d[0] == '+' && !find_entry(current, recorded.path + "/" + d.substr(1)))
      out.push_back(d.substr(1));
  return out;
}

// The action for a tree `want` records: unchanged, moved back from gpucfg's keep, or an error.
std::optional<plan::Action> restore_tree(const StateStore& store, const plan::ManagedEntry& want,
                                         const plan::ManagedEntry* now, bool present,
                                         plan::Action a, std::vector<std::string>& errors) {
  bool ours = now && now->kind == "tree";
  if (ours && now->sha256 == want.sha256) return std::nullopt; // already that tree
  if (present && !ours) return std::nullopt; // never gpucfg's since: left to its owner
  std::string kept = store.kept_tree(want.sha256);
  if (want.sha256.empty() || !exists(kept)) {
    errors.push_back(want.path + ": the tree that generation recorded is not kept (it was damaged "
                                 "when replaced, freed by gpucfg gc, or on another file system); "
                                 "apply its manifest again instead");
    return std::nullopt;
  }
  a.op = plan::Op::restore_tree;
  a.from = kept;
  a.from_host = true;
  a.sha256 = want.sha256;
  a.change = present ? "update" : "create";
  a.summary = "the tree as recorded, kept by gpucfg since it was replaced";
  return a;
}

// A Windows variable back to the value `want` records (absent: deleted), or nothing when it
// already holds it.
std::optional<plan::Action> restore_variable(const plan::ManagedEntry& want, const std::string& why,
                                             std::vector<std::string>& errors) {
  plan::EnvEdit edit;
  edit.name = want.path.substr(4); // "env:NAME"
  edit.scope = want.scope.empty() ? "system" : want.scope;
  std::string error;
  auto now = util::read_env_var(edit.scope, edit.name, &error);
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

// An action making `path` what `want` records, or nothing when it already is. `now` is the
// current generation's entry for the path, if any.
std::optional<plan::Action> restore_action(const StateStore& store, const plan::ManagedEntry& want,
                                           const std::vector<plan::ManagedEntry>& current,
                                           const std::string& why,
                                           std::vector<std::string>& errors) {
  if (util::starts_with(want.path, "env:")) return restore_variable(want, why, errors);
  const plan::ManagedEntry* now = find_entry(current, want.path);
  std::string h = store.host(want.path);
  auto st = util::lstat_info(h);
  bool present = st.has_value();
  using Kind = util::FileInfo::Kind;
  plan::Action a;
  a.path = want.path;
  a.resource = want.resource == plan::Resource::unknown ? plan::Resource::file : want.resource;
  a.reason = why;
  if (want.kind == "adopted") return std::nullopt; // never gpucfg's to change
  std::optional<plan::Action> out;
  if (want.kind == "absent") {
    if (!present) return std::nullopt;
    a.op = st->kind == Kind::dir ? plan::Op::remove_tree : plan::Op::remove;
    a.change = "delete";
    a.summary = "did not exist";
    out = a;
  } else if (want.kind == "symlink") {
    if (present && st->kind == Kind::symlink && fs::read_symlink(h).string() == want.link_target)
      return std::nullopt;
    a.op = plan::Op::symlink;
    a.link_target = want.link_target;
    a.change = present ? "update" : "create";
    a.summary = "link to " + want.link_target;
    out = a;
  } else if (want.kind == "file") {
    if (present && st->kind == Kind::file && util::sha256_file(h).value_or("") == want.sha256)
      return std::nullopt;
    a.op = plan::Op::write;
    a.from = store.blob(want.sha256);
    a.sha256 = want.sha256;
    a.mode = want.mode;
    a.change = present ? "update" : "create";
    a.summary = "content " + want.sha256.substr(0, 12);
    out = a;
  } else {
    out = restore_tree(store, want, now, present, a, errors);
  }
  // A tree of gpucfg's about to be removed or replaced: files the user added to it stop it.
  if (out && present && now && now->kind == "tree" && st->kind == Kind::dir)
    if (auto added = additions(store, *now, current); !added.empty()) {
      if (added.size() > 10) added.resize(10), added.push_back("...");
      errors.push_back(want.path + ": holds files gpucfg did not install (" +
                       util::join(added, ", ") + "); move them out, then try again");
      return std::nullopt;
    }
  return out;
}

// The folders gpucfg made that the plan's removals leave empty go too, deepest first, after
// everything in them: what was not there before gpucfg is not left behind. A folder with
// anything else in it (a user's file) stays.
void remove_emptied_folders(const StateStore& store, const std::string& label, plan::Plan& p) {
  std::set<std::string> going;
  for (const auto& a : p.actions)
    if (a.op == plan::Op::remove || a.op == plan::Op::remove_tree) going.insert(a.path);
  auto folders = store.created_folders();
  std::sort(folders.begin(), folders.end(), [](const std::string& a, const std::string& b) {
    return a.size() > b.size(); // a child's path is longer than its parent's
  });
  for (const auto& f : folders) {
    std::error_code ec;
    bool emptied = fs::is_directory(store.host(f), ec);
    for (fs::directory_iterator it(store.host(f), ec), end; emptied && !ec && it != end;
         it.increment(ec))
      emptied = going.count(f + "/" + it->path().filename().u8string()) > 0;
    if (!emptied || ec) continue;
    plan::Action a;
    a.op = plan::Op::remove_dir;
    a.resource = plan::Resource::folder;
    a.path = f;
    a.change = "delete";
    a.summary = "a folder gpucfg made, empty once the above are gone";
    a.reason = label;
    p.actions.push_back(a);
    going.insert(f);
  }
}

plan::Plan restore(const StateStore& store, const std::vector<plan::ManagedEntry>& keep,
                   const std::vector<plan::ManagedEntry>& target, const std::string& label) {
  plan::Plan p;
  p.root = store.root().empty() ? "/" : store.root();
  p.facts_source = "live";
  p.notes.push_back(label);
  auto originals = store.originals();
  auto current = store.current().entries;
  std::set<std::string> paths;
  for (const auto& e : target) {
    paths.insert(e.path);
    if (auto a = restore_action(store, e, current, label, p.errors)) p.actions.push_back(*a);
    p.managed.push_back(
        {e.path, e.resource, e.kind == "tree" ? "tree" : e.kind, e.manifest, e.scope});
  }
  for (const auto& e : keep) {
    paths.insert(e.path);
    p.managed.push_back({e.path, e.resource, e.kind, e.manifest, e.scope});
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
    if (auto a = restore_action(store, orig, current, "back to before gpucfg", p.errors))
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
    if (auto a = restore_action(store, none, {}, "back to before gpucfg", p.errors))
      p.actions.push_back(*a);
  } else if (loader) {
    p.actions.push_back(plan::ldconfig_action());
  }
  remove_emptied_folders(store, label, p);
  return p;
}

} // namespace

plan::Plan rollback_plan(const StateStore& store, int n) {
  std::vector<plan::ManagedEntry> target;
  if (n > 0) {
    auto g = store.generation(n);
    if (!g) {
      plan::Plan p;
      p.errors.push_back("no generation " + std::to_string(n) + " (see gpucfg history)");
      return p;
    }
    target = g->entries;
  }
  return restore(store, {}, target, "rollback to generation " + std::to_string(n));
}

plan::Plan destroy_plan(const StateStore& store, const std::string& manifest) {
  std::vector<plan::ManagedEntry> keep;
  for (const auto& e : store.current().entries)
    if (e.manifest != manifest) keep.push_back(e);
  return restore(store, keep, {}, "destroy " + manifest);
}

} // namespace gpucfg::exec
