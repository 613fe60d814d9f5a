#include "disk/disk.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace gpucfg::disk {

// Windows paths ("C:\Program Files\...") are split at either separator; a drive's own folder is
// "C:\".
std::string parent_of(const std::string& path) {
  auto at = path.find_last_of("/\\");
  if (at == std::string::npos) return "";
  if (at == 0) return "/";
  if (at == 2 && path[1] == ':') return path.substr(0, 3);
  return path.substr(0, at);
}

std::string leaf_of(const std::string& path) {
  return path.substr(path.find_last_of("/\\") + 1);
}

bool exists(const Disk& d, const std::string& path) {
  return d.lstat(path).has_value();
}

bool is_dir(const Disk& d, const std::string& path) {
  auto st = d.lstat(path);
  return st && st->kind == Kind::dir;
}

Status sync_parent(Disk& d, const std::string& path) {
  std::string p = parent_of(path);
  return p.empty() ? "" : d.sync(p);
}

Status make_dirs(Disk& d, const std::string& path, std::vector<std::string>* created) {
  std::vector<std::string> missing;
  for (std::string p = path; !p.empty() && p != "/" && p != parent_of(p) && !exists(d, p);
       p = parent_of(p))
    missing.push_back(p);
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (Status s = d.make_dir(*it, 0755); !s.empty() && !is_dir(d, *it)) return s;
    if (created) created->push_back(*it);
  }
  return "";
}

Status write_atomic(Disk& d, const std::string& path, const std::string& data, unsigned mode) {
  std::string tmp = path + ".tmp";
  d.remove(tmp); // a killed writer's; write() never writes through it
  if (Status s = d.write(tmp, data, mode); !s.empty()) return s;
  if (Status s = d.rename(tmp, path); !s.empty()) {
    d.remove(tmp);
    return s;
  }
  return sync_parent(d, path);
}

std::vector<std::pair<std::string, Stat>> Disk::list_stat(const std::string& dir) const {
  std::vector<std::pair<std::string, Stat>> out;
  for (const auto& name : list(dir))
    if (auto st = lstat(dir + "/" + name)) out.emplace_back(name, *st);
  return out;
}

namespace {
// One folder's entries (`rel` under `root`), in listing order, each handed to `each`.
template <class Fn>
void list_entries(const Disk& d, const std::string& root, const std::string& rel, Fn each) {
  for (auto& [name, st] : d.list_stat(rel.empty() ? root : root + "/" + rel)) {
    std::string r = rel.empty() ? name : rel + "/" + name;
    Entry e{r, st, ""};
    if (st.kind == Kind::symlink) e.link_target = d.read_link(root + "/" + r).value_or("");
    each(std::move(e));
  }
}

void walk_into(const Disk& d, const std::string& root, const std::string& rel,
               std::vector<Entry>& out) {
  list_entries(d, root, rel, [&](Entry e) {
    bool dir = e.stat.kind == Kind::dir;
    std::string r = e.path;
    out.push_back(std::move(e));
    if (dir) walk_into(d, root, r, out);
  });
}
} // namespace

std::vector<Entry> walk(const Disk& d, const std::string& dir) {
  std::vector<Entry> out;
  walk_into(d, dir, "", out);
  // Depth-first from sorted listings gives "a", "a/x", "a.b": sorted by path with '/' first.
  return out;
}

std::vector<Entry> walk_unordered(const Disk& d, const std::string& dir, unsigned jobs) {
  if (jobs <= 1) return walk(d, dir);
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::string> todo{""}; // folders relative to `dir` still to list
  unsigned busy = 0;                // threads listing one now (they may add more)
  std::vector<std::vector<Entry>> found(jobs);
  auto work = [&](unsigned t) {
    for (;;) {
      std::string rel;
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return !todo.empty() || busy == 0; });
        if (todo.empty()) return; // nothing queued and nobody listing: the walk is done
        rel = std::move(todo.front());
        todo.pop_front();
        ++busy;
      }
      std::vector<std::string> subdirs;
      list_entries(d, dir, rel, [&](Entry e) {
        if (e.stat.kind == Kind::dir) subdirs.push_back(e.path);
        found[t].push_back(std::move(e));
      });
      {
        std::lock_guard<std::mutex> lock(mu);
        for (auto& s : subdirs)
          todo.push_back(std::move(s));
        --busy;
      }
      cv.notify_all();
    }
  };
  std::vector<std::thread> threads;
  for (unsigned t = 1; t < jobs; ++t)
    threads.emplace_back(work, t);
  work(0);
  for (auto& th : threads)
    th.join();
  std::vector<Entry> out = std::move(found[0]);
  for (unsigned t = 1; t < jobs; ++t)
    out.insert(out.end(), std::make_move_iterator(found[t].begin()),
               std::make_move_iterator(found[t].end()));
  return out;
}

} // namespace gpucfg::disk
