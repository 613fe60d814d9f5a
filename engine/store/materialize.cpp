#include "store/materialize.hpp"

namespace gpucfg::store {

const char* to_string(Placement p) {
  switch (p) {
  case Placement::reflink:
    return "reflinks";
  case Placement::hardlink:
    return "hard links";
  case Placement::copy:
    return "copies";
  }
  return "";
}

namespace {

// A link fails across file systems (EXDEV) and where the file system has none (FAT, some
// network shares); a copy then serves.
bool cannot_link(const std::string& why) {
  return why.find("cross-device") != std::string::npos ||
         why.find("not permitted") != std::string::npos ||
         why.find("not supported") != std::string::npos;
}

} // namespace

Materialized materialize(const Store& store, const std::string& key, const std::string& dest,
                         const PathMap& map, bool replace) {
  Materialized m;
  disk::Disk& d = store.disk();
  std::string from = store.tree(key);
  if (Status s = disk::make_dirs(d, dest); !s.empty()) {
    m.error = s;
    return m;
  }
  bool try_reflink = true, try_link = true;
  for (const auto& e : disk::walk(d, from)) {
    std::string rel = map ? map(e.path) : e.path;
    if (rel.empty()) continue;
    std::string src = from + "/" + e.path, to = dest + "/" + rel;
    Status s;
    if (e.stat.kind == disk::Kind::dir) {
      s = disk::make_dirs(d, to);
    } else if (e.stat.kind == disk::Kind::symlink) {
      s = disk::make_dirs(d, disk::parent_of(to));
      if (s.empty() && replace) d.remove(to);
      if (s.empty()) s = d.symlink(e.link_target, to);
    } else if (e.stat.kind == disk::Kind::file) {
      s = disk::make_dirs(d, disk::parent_of(to));
      if (s.empty() && replace) d.remove(to);
      bool placed = false;
      if (s.empty() && try_reflink) {
        s = d.clone(src, to, e.stat.mode);
        if (s == disk::k_no_reflink) {
          try_reflink = false;
          s.clear();
        } else if (s.empty()) {
          s = d.set_mtime(to, e.stat.mtime_ns);
          placed = true;
          m.how = Placement::reflink;
        }
      }
      if (s.empty() && !placed && try_link) {
        s = d.link(src, to);
        if (!s.empty() && cannot_link(s) && !disk::exists(d, to)) {
          try_link = false;
          s.clear();
        } else if (s.empty()) {
          placed = true;
          m.how = Placement::hardlink;
        }
      }
      if (s.empty() && !placed) {
        s = d.copy(src, to, e.stat.mode, nullptr);
        if (s.empty()) s = d.set_mtime(to, e.stat.mtime_ns);
        m.how = Placement::copy;
      }
      ++m.files;
    }
    if (!s.empty()) {
      m.error = disk::exists(d, to) && e.stat.kind != disk::Kind::dir
                    ? rel + ": something is already there (" + s + ")"
                    : s;
      return m;
    }
  }
  return m;
}

} // namespace gpucfg::store
