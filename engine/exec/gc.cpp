#include "exec/gc.hpp"

#include "plan/plan_json.hpp"
#include "util/fault.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <set>

namespace gpucfg::exec {

namespace {

// Every generation recorded in a state folder (another root's too: the store is shared).
std::vector<plan::Generation> generations_in(const disk::Disk& d, const std::string& state_dir) {
  std::vector<plan::Generation> out;
  for (const auto& n : d.list(state_dir + "/generations")) {
    if (!util::ends_with(n, ".json")) continue;
    auto text = d.read(state_dir + "/generations/" + n);
    auto j = text ? nlohmann::json::parse(*text, nullptr, false) : nlohmann::json();
    if (!j.is_object()) continue;
    try {
      out.push_back(j.get<plan::Generation>());
    } catch (const nlohmann::json::exception&) {
    }
  }
  return out;
}

void add_needs(const plan::Generation& g, store::Live& live) {
  for (const auto& e : g.entries) {
    if (!e.key.empty()) live.trees.insert(e.key);
    for (const auto& u : e.uses)
      live.trees.insert(u);
    for (const auto& a : e.artifacts)
      live.artifacts.insert(a);
  }
}

} // namespace

store::Live live_entries(const Machine& m, const StateStore& state,
                         const std::vector<int>& forgotten) {
  store::Live live;
  for (const auto& g : generations_in(m.disk, state.dir()))
    if (std::find(forgotten.begin(), forgotten.end(), g.number) == forgotten.end())
      add_needs(g, live);
  add_needs(state.current(), live);
  for (const auto& dir : m.store.roots())
    if (dir != state.dir())
      for (const auto& g : generations_in(m.disk, dir))
        add_needs(g, live);
  return live;
}

GcReport collect_garbage(Machine& m, StateStore& state, int keep, bool dry_run) {
  GcReport r;
  int current = state.current().number;
  std::vector<plan::Generation> kept;
  for (const auto& g : state.history()) {
    if (keep >= 0 && g.number != current && g.number <= current - std::max(keep, 1)) {
      r.forgotten.push_back(g.number);
      continue;
    }
    kept.push_back(g);
  }
  std::set<std::string> blobs;
  for (const auto& g : kept)
    for (const auto& e : g.entries)
      if (!e.sha256.empty()) blobs.insert(e.sha256); // file contents and file lists
  for (const auto& [path, e] : state.originals())
    if (!e.sha256.empty()) blobs.insert(e.sha256);
  store::Live live = live_entries(m, state, r.forgotten);
  // Records first: a kill after this point leaves garbage for the next gc, never a generation
  // whose blobs or store entries are gone.
  if (!dry_run)
    for (int n : r.forgotten) {
      Status s = m.disk.remove(state.dir() + "/generations/" + std::to_string(n) + ".json");
      if (!s.empty()) r.errors.push_back(s);
      util::checkpoint();
    }
  for (const auto& name : m.disk.list(state.dir() + "/blobs")) {
    if (blobs.count(name)) continue;
    std::string path = state.dir() + "/blobs/" + name;
    r.bytes += store::size_of(m.disk, path);
    ++r.blobs;
    if (!dry_run) {
      if (Status s = m.disk.remove_tree(path); !s.empty()) r.errors.push_back(s);
      util::checkpoint();
    }
  }
  // Trees kept in the state folder by gpucfg before the store (rollback no longer uses them).
  if (disk::is_dir(m.disk, state.dir() + "/trees")) {
    r.bytes += store::size_of(m.disk, state.dir() + "/trees");
    if (!dry_run) m.disk.remove_tree(state.dir() + "/trees");
  }
  r.store = store::collect(m.store, live, dry_run);
  r.bytes += r.store.bytes;
  for (const auto& e : r.store.errors)
    r.errors.push_back(e);
  return r;
}

} // namespace gpucfg::exec
