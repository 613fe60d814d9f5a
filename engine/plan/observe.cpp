#include "plan/observe.hpp"

#include "plan/plan_json.hpp"
#include "platform/platform.hpp"
#include "store/tree.hpp"
#include "util/os.hpp"
#include "util/registry.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"
#include "util/trust.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace gpucfg::plan {
namespace {

// The Host's word for what is at a path, as the planner's type.
PathKind path_kind(const std::string& k) {
  if (k == "file") return PathKind::file;
  if (k == "symlink") return PathKind::symlink;
  if (k == "dir") return PathKind::dir;
  return PathKind::other;
}

// A folder's files and links, read through the Host (machine paths): what folder_key lists a
// tree's source by, and what cuDNN's `place:` rules pick from.
void list_folder(const probe::Host& host, const std::string& dir, const std::string& rel, int depth,
                 std::vector<store::ListedFile>& out) {
  if (depth > 32) return;
  for (const auto& name : host.list(probe::join(dir, rel))) {
    std::string r = rel.empty() ? name : rel + "/" + name;
    auto st = host.lstat(probe::join(dir, r));
    if (!st) continue;
    if (st->kind == "dir")
      list_folder(host, dir, r, depth + 1, out);
    else if (st->kind == "symlink")
      out.push_back({r, "symlink", host.read_link(probe::join(dir, r)).value_or(""), 0, 0, 0});
    else if (st->kind == "file")
      out.push_back({r, "file", "", st->size, st->mtime_ns, st->mode & 07777});
  }
}

} // namespace

std::vector<SourceFile> list_store_tree(const std::string& store_dir, const std::string& key) {
  std::vector<SourceFile> out;
  auto files = store::read_tree_record(store_dir + "/trees/" + key + ".json");
  if (!files) return out;
  for (const auto& f : files->files)
    out.push_back(f.kind == "symlink" ? SourceFile{f.path, "symlink", f.sha256, 0}
                                      : SourceFile{f.path, "file", "", f.size, f.sha256, f.mode});
  return out;
}

std::string state_dir(const std::string& root) {
  if (const char* e = std::getenv("GPUCFG_STATE_DIR"); e && *e) return e;
  // Windows keeps a program's machine-wide state in %ProgramData% (C:\ProgramData\gpucfg).
  if (platform::host().os() == platform::Os::windows) {
    const char* pd = std::getenv("ProgramData");
    std::string base = root == "/" ? (pd && *pd ? pd : "C:\\ProgramData") : root + "/ProgramData";
    return base + "/gpucfg";
  }
  std::string r = root == "/" ? "" : root;
  while (!r.empty() && r.back() == '/')
    r.pop_back();
  return r + "/var/lib/gpucfg";
}

Generation read_current_generation(const probe::Host& host, const disk::Disk& d) {
  auto text = d.read(state_dir(host.root()) + "/current.json");
  if (!text) return {};
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded()) return {};
  try {
    return j.get<Generation>();
  } catch (const nlohmann::json::exception&) {
    return {};
  }
}

Observed observe(const probe::Host& host, const Wanted& wanted, bool checksum,
                 const std::string& store_dir, const disk::Disk& d, util::Registry* registry) {
  Observed o;
  o.live = true;
  o.home = host.env("HOME").value_or("/root");
  o.current = read_current_generation(host, d);
  o.interrupted = disk::exists(d, state_dir(host.root()) + "/journal.json");
  auto recorded = [&](const std::string& path) { return find_entry(o.current.entries, path); };
  for (const auto& e : o.current.entries)
    if (e.resource == Resource::env && e.kind == "file" &&
        util::starts_with(e.path, "/etc/environment.d/"))
      if (auto text = host.read(e.path))
        for (const auto& line : util::split(*text, '\n'))
          if (!line.empty() && line[0] != '#' && line.find('=') != std::string::npos)
            o.env_of[e.manifest][line.substr(0, line.find('='))] = line;
  // Paths the last generation managed are observed too: one the manifest dropped must be removed.
  std::vector<std::string> paths = wanted.paths;
  for (const auto& e : o.current.entries)
    paths.push_back(e.path);
  for (const auto& path : paths) {
    if (o.paths.count(path)) continue;
    PathState ps;
    auto st = host.lstat(path);
    if (st) {
      ps.kind = path_kind(st->kind);
      if (st->kind == "symlink") ps.link_target = host.read_link(path).value_or("");
      if (st->kind == "file") {
        ps.size = st->size;
        ps.mtime_ns = st->mtime_ns;
        ps.mode = util::octal_mode(st->mode);
        // Unchanged since gpucfg wrote it (same size and mtime): trust the recorded hash.
        const ManagedEntry* e = recorded(path);
        if (!checksum && e && e->kind == "file" && e->size == st->size &&
            e->mtime_ns == st->mtime_ns)
          ps.sha256 = e->sha256;
        else
          ps.sha256 = d.sha256(host.host_path(path)).value_or("");
      }
    }
    o.paths[path] = ps;
  }
  // The folders gpucfg made (the current generation's list; an older gpucfg's folders.json),
  // with what is in them now.
  std::vector<std::string> made = o.current.folders;
  if (made.empty() && o.current.number > 0)
    if (auto text = d.read(state_dir(host.root()) + "/folders.json")) {
      auto j = nlohmann::json::parse(*text, nullptr, false);
      if (j.is_array())
        for (const auto& f : j)
          if (f.is_string()) made.push_back(f.get<std::string>());
    }
  for (const auto& f : made)
    if (host.is_dir(f)) o.made_folders.push_back({f, host.list(f)});
  // Trees gpucfg recorded (installed from the store, built in place, or adopted): compare with
  // what is there now. The record of a tree from the store is the store's.
  for (const auto& e : o.current.entries) {
    if (e.kind != "adopted" && e.kind != "tree") continue;
    std::optional<store::TreeManifest> then;
    if (!e.key.empty()) {
      auto text = d.read(store_dir + "/trees/" + e.key + ".json");
      if (auto r = text ? store::parse_record(*text) : std::nullopt) {
        then = r->tree;
        o.tree_inputs[e.path] = r->inputs;
      } else {
        o.tree_unknown[e.path] = "its record is no longer in gpucfg's store (" + store_dir +
                                 "/trees/" + e.key.substr(0, 12) + "...)";
      }
    } else if (!e.sha256.empty()) {
      // A missing or damaged blob says nothing; the tree is checked as present or not.
      auto text = d.read(state_dir(host.root()) + "/blobs/" + e.sha256);
      auto r = text ? store::parse_record(*text) : std::nullopt;
      if (r) then = r->tree;
    }
    if (!then) continue;
    store::TreeManifest now =
        store::scan_tree(d, host.host_path(e.path), checksum, util::usable_cores());
    o.tree_drift[e.path] = store::tree_drift(*then, now, 20);
  }
  // Paths others could write: a managed path (replacing it, or writing beside it, would lend
  // them root's hand: a link swapped in between two steps), a folder a tree is copied from.
  // The path as apply will use it (the root joined, nothing resolved: apply's own writes go
  // through whatever links are there, so those links are what is judged).
  o.single_user = util::single_user();
  auto as_written = [&](const std::string& p) { return host.live() ? p : host.root() + p; };
  for (const auto& path : paths)
    if (auto why = util::untrusted(as_written(path))) o.untrusted[path] = *why;
  for (const auto& dir : wanted.folders)
    if (auto why = util::untrusted(as_written(dir))) o.untrusted[dir] = *why;
  for (const auto& dir : wanted.folders) {
    std::vector<store::ListedFile> files;
    if (host.is_dir(dir)) list_folder(host, dir, "", 0, files);
    o.folders[dir] = files;
  }
  for (const auto& dir : wanted.source_dirs) {
    std::vector<store::ListedFile> listed;
    list_folder(host, dir, "", 0, listed);
    std::vector<SourceFile> files;
    for (const auto& l : listed)
      files.push_back({l.path, l.kind, l.link_target, l.size, "", l.mode});
    for (const auto& f : files)
      if (f.kind == "file") {
        std::string p = probe::join(dir, f.relative);
        PathState ps;
        ps.kind = PathKind::file;
        ps.size = f.size;
        ps.sha256 = d.sha256(host.host_path(p)).value_or("");
        o.paths[p] = ps;
      }
    o.sources[dir] = files;
  }
  // Windows variables live in the registry, one per machine: a --root folder has none of its own.
  // A Linux build planning for Windows (--assume, a facts file) has no registry to look at.
  util::SystemRegistry system;
  util::Registry& reg = registry ? *registry : system;
  for (const auto& [scope, name] : wanted.variables) {
    if (!reg.available()) break;
    std::string key = scope + ":" + name, error;
    if (!host.live()) {
      o.variable_errors[key] =
          "the registry is not under --root; apply Windows variables without it";
      continue;
    }
    auto v = reg.read(scope, name, &error);
    if (!error.empty())
      o.variable_errors[key] = error;
    else
      o.variables[key] = v ? std::optional<std::string>(v->value) : std::nullopt;
  }
  return o;
}

} // namespace gpucfg::plan
