#include "exec/record.hpp"

#include "exec/packages.hpp"
#include "util/os.hpp"
#include "util/strings.hpp"

#include <cstdio>
#include <ctime>
#include <thread>

namespace gpucfg::exec {

namespace {

std::string now_utc() {
  std::time_t now = std::time(nullptr);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return when;
}

// A tree entry: the store's key when the tree came from it (this transaction, or as the
// previous record says, unchanged since); else its file list as a blob (an adopted toolkit,
// an environment built in place), kept from the previous record while that still describes it
// (hashing a toolkit takes seconds).
void record_tree(Machine& m, StateStore& state, const plan::Managed& want,
                 const plan::Generation& prev, const Placed& placed, plan::ManagedEntry& e) {
  e.kind = want.kind == "adopted" ? "adopted" : "tree";
  if (auto k = placed.tree_keys.find(e.path); k != placed.tree_keys.end()) {
    e.key = k->second;
    e.artifacts = placed.artifacts.at(e.path);
    return;
  }
  if (auto b = placed.built.find(e.path); b != placed.built.end()) {
    state.keep_text(store::record_text({{}, b->second}), &e.sha256);
    e.uses = placed.uses.at(e.path);
    return;
  }
  for (const auto& old : prev.entries)
    if (old.path == e.path && old.kind == e.kind) {
      e.sha256 = old.sha256;
      e.key = old.key;
      e.artifacts = old.artifacts;
      e.uses = old.uses;
    }
  if (e.sha256.empty() && e.key.empty()) {
    auto tree = store::scan_tree(m.disk, m.host(e.path), true, util::usable_cores());
    state.keep_text(store::record_text({{}, tree}), &e.sha256);
  }
}

} // namespace

plan::Generation record(Machine& m, StateStore& state, const plan::Plan& p, int number,
                        const Placed& placed) {
  plan::Generation prev = state.current(), g;
  g.number = number;
  g.manifest = p.manifest.empty() ? p.notes.empty() ? "restore" : p.notes.front() : p.manifest;
  g.plan_fingerprint = p.fingerprint;
  g.created = now_utc();
  // A manifest's apply replaces that manifest's entries; a restore (rollback, destroy: no
  // manifest) lists every entry itself.
  if (!p.manifest.empty())
    for (const auto& e : prev.entries)
      if (e.manifest != p.manifest) g.entries.push_back(e);
  std::optional<packages::InstalledMap> installed; // asked once, when a package is managed
  for (const auto& want : p.managed) {
    if (want.kind == "package") {
      std::string why;
      if (!installed && m.packages) installed = m.packages->installed(&why);
      plan::ManagedEntry e = package_entry(want.path, installed.value_or(packages::InstalledMap{}));
      e.manifest = want.manifest.empty() ? p.manifest : want.manifest;
      g.entries.push_back(e);
      continue;
    }
    plan::ManagedEntry e;
    e.path = want.path;
    e.resource = want.resource;
    e.manifest = want.manifest.empty() ? p.manifest : want.manifest;
    if (want.kind == "env") { // a Windows variable: its value now, from the registry
      std::string error;
      auto v = m.registry.read(want.scope, want.path.substr(4), &error);
      e.kind = v ? "env" : "absent";
      e.value = v ? v->value : "";
      e.scope = want.scope;
      g.entries.push_back(e);
      continue;
    }
    std::string h = m.host(want.path);
    auto st = m.disk.lstat(h);
    if (!st) {
      e.kind = "absent";
    } else if (st->kind == disk::Kind::symlink && want.kind != "adopted") {
      e.kind = "symlink";
      e.link_target = m.disk.read_link(h).value_or("");
    } else if (st->kind == disk::Kind::dir || want.kind == "adopted") {
      record_tree(m, state, want, prev, placed, e);
    } else {
      e.kind = "file";
      e.size = st->size;
      e.mtime_ns = st->mtime_ns;
      e.mode = util::octal_mode(st->mode);
      for (const auto& old : prev.entries)
        if (old.path == e.path && old.size == e.size && old.mtime_ns == e.mtime_ns)
          e.sha256 = old.sha256;
      if (e.sha256.empty()) e.sha256 = m.disk.sha256(h).value_or("");
      state.keep_blob(h, e.sha256);
    }
    g.entries.push_back(e);
  }
  return g;
}

} // namespace gpucfg::exec
