#include "store/gc.hpp"

#include "util/fault.hpp"
#include "util/strings.hpp"

namespace gpucfg::store {

std::uint64_t size_of(const disk::Disk& d, const std::string& path) {
  auto st = d.lstat(path);
  if (!st) return 0;
  if (st->kind == disk::Kind::file) return st->size;
  std::uint64_t total = 0;
  if (st->kind == disk::Kind::dir)
    for (const auto& e : disk::walk(d, path))
      if (e.stat.kind == disk::Kind::file) total += e.stat.size;
  return total;
}

StoreGc collect(Store& store, const Live& live, bool dry_run) {
  StoreGc r;
  disk::Disk& d = store.disk();
  auto free = [&](const std::string& path) {
    r.bytes += size_of(d, path);
    if (dry_run) return;
    if (Status s = d.remove_tree(path); !s.empty()) r.errors.push_back(s);
    util::checkpoint();
  };
  const std::string trees = store.dir() + "/trees";
  for (const auto& name : d.list(trees)) {
    std::string key = name.substr(0, name.find('.'));
    if (live.trees.count(key)) continue;
    if (util::ends_with(name, ".json")) {
      if (!dry_run) d.remove(trees + "/" + name);
      continue;
    }
    ++r.trees;
    free(trees + "/" + name);
  }
  const std::string artifacts = store.dir() + "/artifacts";
  for (const auto& name : d.list(artifacts)) {
    std::string sha = name.substr(0, name.find('.'));
    if (live.artifacts.count(sha)) continue;
    if (name.find('.') == std::string::npos) ++r.artifacts;
    free(artifacts + "/" + name);
  }
  // Caches and leftovers: rebuilt or fetched again when needed. built/ holds wheels built from
  // locked sdists: the environments using one keep its tree (live above); a new environment
  // fetches the sdist again, like any download gc freed, and builds it again.
  for (const char* sub : {"/verify", "/yaml", "/partial", "/tmp", "/built"})
    for (const auto& name : d.list(store.dir() + sub)) {
      ++r.caches;
      free(store.dir() + sub + "/" + name);
    }
  return r;
}

} // namespace gpucfg::store
