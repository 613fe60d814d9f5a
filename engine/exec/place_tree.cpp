// Trees from the store: a toolkit or cuDNN prefix made (or rolled back) by materializing a store
// entry into a staging folder beside the prefix, carrying over every file the tree's record
// does not list, and swapping it in.
#include "exec/place.hpp"

#include "source/resolve.hpp"
#include "store/fill.hpp"
#include "store/key.hpp"
#include "store/materialize.hpp"
#include "util/strings.hpp"

#include <set>

namespace gpucfg::exec {

namespace {

std::vector<std::string> shas(const std::vector<source::Artifact>& artifacts) {
  std::vector<std::string> out;
  for (const auto& a : artifacts)
    out.push_back(a.sha256);
  return out;
}

// The record of the tree gpucfg installed at `path` in the current generation: the store's
// (by key), or, for a tree recorded before the store, its blob in the state folder.
std::optional<store::TreeManifest> recorded_tree(const PlaceContext& c, const std::string& path) {
  const plan::ManagedEntry* e = plan::find_entry(c.current.entries, path);
  if (!e || e->kind != "tree") return std::nullopt;
  if (!e->key.empty()) {
    auto r = c.tx.machine().store.record(e->key);
    return r ? std::optional<store::TreeManifest>(r->tree) : std::nullopt;
  }
  if (e->sha256.empty()) return std::nullopt;
  auto text = c.state.disk().read(c.state.blob(e->sha256));
  auto r = text ? store::parse_record(*text) : std::nullopt;
  return r ? std::optional<store::TreeManifest>(r->tree) : std::nullopt;
}

// The entry for `key` there and whole: made if it is not (install-tree), else checked. A
// repair (the tree drifted from the record of the same entry) checks the entry by content,
// since an installed file hard-linked from it is the same file: a damaged entry is made anew.
Status ensure_entry(PlaceContext& c, const plan::Action& a, const std::string& key, bool repair) {
  Machine& m = c.tx.machine();
  store::Store& st = m.store;
  if (st.has_tree(key)) {
    std::string damage = st.check(key, repair || m.checksum);
    if (damage.empty()) return "";
    if (a.op == plan::Op::restore_tree)
      return a.path + ": the store's copy of the tree that generation recorded " + damage +
             "; it cannot be put back byte for byte (apply its manifest again)";
    c.out.said.push_back("the store's entry for " + a.path + " " + damage + ": made anew");
    if (Status s = st.discard_files(key); !s.empty()) return s;
  }
  if (a.op == plan::Op::restore_tree)
    return a.path + ": the store no longer holds the tree that generation recorded (" +
           key.substr(0, 12) + "); apply its manifest again";
  std::string arch = source::target_arch(c.platform);
  auto fill = [&](const std::string& dir, store::TreeManifest* files) -> Status {
    if (a.artifacts.empty()) return store::copy_folder(m.disk, m.host(a.from), key, dir, files);
    return m.unpacker.unpack(a.artifacts, a.content, arch, dir, files);
  };
  std::vector<std::string> inputs = a.artifacts.empty()
                                        ? std::vector<std::string>{"folder " + a.from}
                                        : store::describe_inputs(a.artifacts);
  return st.add_tree(key, inputs, fill);
}

// The key the action's sources name, computed here too: a plan that was edited by hand, or an
// unpinned archive whose sha256 fetching filled in, gets the key of what it really installs.
std::string key_of(const PlaceContext& c, const plan::Action& a, std::string* error) {
  if (a.op == plan::Op::restore_tree) return a.key;
  if (a.artifacts.empty()) return a.key; // a folder: copy_folder holds it to its key
  std::string k = store::archives_key(a.artifacts, a.content, source::target_arch(c.platform));
  if (k.empty()) *error = a.path + ": an archive of this tree has no sha256 (fetch it first)";
  if (!a.key.empty() && k != a.key)
    *error = a.path + ": the plan names store entry " + a.key.substr(0, 12) +
             " but its archives make " + k.substr(0, 12) + "; plan again";
  return k;
}

} // namespace

Status carry(disk::Disk& d, const std::string& target, const store::TreeManifest& record,
             const std::string& staged, std::vector<std::string>* carried,
             std::vector<std::string>* clashes) {
  std::set<std::string> known;
  for (const auto& f : record.files)
    known.insert(f.path);
  for (const auto& e : disk::walk(d, target)) {
    if (e.stat.kind == disk::Kind::dir || known.count(e.path)) continue;
    std::string to = staged + "/" + e.path;
    if (disk::exists(d, to)) {
      clashes->push_back(e.path);
      continue;
    }
    Status s = disk::make_dirs(d, disk::parent_of(to));
    if (s.empty())
      s = e.stat.kind == disk::Kind::symlink ? d.symlink(e.link_target, to)
                                             : d.link(target + "/" + e.path, to);
    if (!s.empty()) return s;
    carried->push_back(e.path);
  }
  return "";
}

Status place_tree(PlaceContext& c, const plan::Action& a) {
  Machine& m = c.tx.machine();
  std::string error, key = key_of(c, a, &error);
  if (!error.empty()) return error;
  if (key.empty()) return a.path + ": no store entry is named for this tree; plan again";
  const plan::ManagedEntry* was = plan::find_entry(c.current.entries, a.path);
  bool repair = was && was->kind == "tree" && was->key == key;
  if (Status s = ensure_entry(c, a, key, repair); !s.empty()) return s;

  std::string target = m.host(a.path), staged;
  if (Status s = c.tx.stage(target, &staged); !s.empty()) return s;
  auto made = store::materialize(m.store, key, staged);
  if (!made.error.empty()) return a.path + ": " + made.error;
  // What is in the tree now and not in its record goes along: the user's files, and what
  // gpucfg placed there as entries of their own (cuDNN into a toolkit). The plan said so.
  if (disk::is_dir(m.disk, target) && was && was->kind == "tree") {
    auto old = recorded_tree(c, a.path);
    if (!old)
      return a.path + ": the record of the tree gpucfg installed there is gone, so the files "
                      "added to it cannot be told from gpucfg's; nothing was replaced (move the "
                      "folder aside, then apply again)";
    std::vector<std::string> carried, clashes;
    if (Status s = carry(m.disk, target, *old, staged, &carried, &clashes); !s.empty()) return s;
    if (!clashes.empty())
      return a.path + ": the new tree has its own " + util::join(clashes, ", ") +
             ", where files that are not gpucfg's are now; move them out, then apply again";
    if (!carried.empty())
      c.out.said.push_back(a.path + ": carried into the new tree: " + util::join(carried, ", "));
  }
  if (Status s = m.disk.sync_tree(staged); !s.empty()) return s;
  util::checkpoint();
  if (Status s = c.tx.swap_in(staged, target); !s.empty()) return s;
  c.out.tree_keys[a.path] = key;
  c.out.artifacts[a.path] = shas(a.artifacts); // a rollback's carry the sha256s recorded then
  return "";
}

} // namespace gpucfg::exec
