#include "exec/restore.hpp"

#include "util/sha256.hpp"

#include <filesystem>
#include <set>
#include <sys/stat.h>

namespace gpucfg::exec {
namespace {

namespace fs = std::filesystem;

// An action making `path` what `want` records, or nothing when it already is.
std::optional<plan::Action> restore_action(const StateStore& store, const plan::ManagedEntry& want,
                                           const std::string& why) {
  std::string h = store.host(want.path);
  struct stat st {};
  bool present = ::lstat(h.c_str(), &st) == 0;
  plan::Action a;
  a.path = want.path;
  a.resource = want.resource.empty() ? "file" : want.resource;
  a.reason = why;
  if (want.kind == "adopted") return std::nullopt; // never gpucfg's to change
  if (want.kind == "absent") {
    if (!present) return std::nullopt;
    a.op = S_ISDIR(st.st_mode) ? "remove-tree" : "remove";
    a.change = "delete";
    a.summary = "did not exist";
  } else if (want.kind == "symlink") {
    if (present && S_ISLNK(st.st_mode) && fs::read_symlink(h).string() == want.link_target)
      return std::nullopt;
    a.op = "symlink";
    a.link_target = want.link_target;
    a.change = present ? "update" : "create";
    a.summary = "link to " + want.link_target;
  } else if (want.kind == "file") {
    if (present && S_ISREG(st.st_mode) && util::sha256_file(h).value_or("") == want.sha256)
      return std::nullopt;
    a.op = "write";
    a.from = store.blob(want.sha256);
    a.sha256 = want.sha256;
    a.mode = want.mode;
    a.change = present ? "update" : "create";
    a.summary = "content " + want.sha256.substr(0, 12);
  } else { // tree: not kept as a blob
    if (present) return std::nullopt;
    a.op = "missing-tree";
    a.change = "create";
    a.summary = "a toolkit tree cannot be restored from gpucfg's state; apply its manifest again";
  }
  return a;
}

plan::Plan restore(const StateStore& store, const std::vector<plan::ManagedEntry>& keep,
                   const std::vector<plan::ManagedEntry>& target, const std::string& label) {
  plan::Plan p;
  p.notes.push_back(label);
  auto originals = store.originals();
  std::set<std::string> paths;
  for (const auto& e : target) {
    paths.insert(e.path);
    if (auto a = restore_action(store, e, label)) p.actions.push_back(*a);
    p.managed.push_back({e.path, e.resource, e.kind == "tree" ? "tree" : e.kind, e.manifest});
  }
  for (const auto& e : keep) {
    paths.insert(e.path);
    p.managed.push_back({e.path, e.resource, e.kind, e.manifest});
  }
  for (const auto& e : store.current().entries) {
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
    if (auto a = restore_action(store, orig, "back to before gpucfg")) p.actions.push_back(*a);
  }
  bool loader = false;
  for (const auto& a : p.actions) {
    if (a.op == "missing-tree") p.errors.push_back(a.path + ": " + a.summary);
    loader = loader || a.resource == "loader";
  }
  if (loader) p.actions.push_back(plan::ldconfig_action());
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
