#include "disk/fake_disk.hpp"

#include "util/sha256.hpp"
#include "util/strings.hpp"

#include <cstdio>

namespace gpucfg::disk {

namespace {

// Paths as the map keys them: absolute, no trailing '/', no empty components.
std::string norm(const std::string& p) {
  std::string out;
  for (std::size_t i = 0; i < p.size(); ++i)
    if (!(p[i] == '/' && (i + 1 == p.size() || p[i + 1] == '/'))) out += p[i];
  if (out.empty() || out[0] != '/') out = "/" + out;
  return out;
}

bool under(const std::string& path, const std::string& dir) {
  return dir == "/" ? path != "/" : path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
                                        path[dir.size()] == '/';
}

} // namespace

FakeDisk::FakeDisk() {
  m_nodes["/"] = Node{Kind::dir, nullptr, "", 0755, 0};
}

void FakeDisk::put_dir(const std::string& path) {
  std::string p = norm(path);
  if (p != "/") put_dir(parent_of(p));
  if (!m_nodes.count(p)) m_nodes[p] = Node{Kind::dir, nullptr, "", 0755, tick()};
}

void FakeDisk::put_file(const std::string& path, const std::string& data, unsigned mode) {
  std::string p = norm(path);
  put_dir(parent_of(p));
  m_nodes[p] = Node{Kind::file, std::make_shared<Inode>(Inode{data, mode, tick()}), "", 0, 0};
}

void FakeDisk::put_link(const std::string& path, const std::string& target) {
  std::string p = norm(path);
  put_dir(parent_of(p));
  m_nodes[p] = Node{Kind::symlink, nullptr, target, 0777, tick()};
}

void FakeDisk::overwrite(const std::string& path, const std::string& data, bool keep_mtime) {
  auto it = m_nodes.find(norm(path));
  if (it == m_nodes.end() || it->second.kind != Kind::file) return;
  it->second.inode->data = data;
  if (!keep_mtime) it->second.inode->mtime_ns = tick();
}

std::vector<std::string> FakeDisk::names_of(const std::string& path) const {
  std::vector<std::string> out;
  const Node* n = node(path);
  if (!n || n->kind != Kind::file) return out;
  for (const auto& [p, other] : m_nodes)
    if (other.kind == Kind::file && other.inode == n->inode) out.push_back(p);
  return out;
}

std::map<std::string, std::string> FakeDisk::snapshot(const std::string& dir) const {
  std::map<std::string, std::string> out;
  std::string d = norm(dir);
  for (const auto& [p, n] : m_nodes) {
    if (p != d && !under(p, d)) continue;
    if (n.kind == Kind::dir)
      out[p] = "dir " + util::octal_mode(n.mode);
    else if (n.kind == Kind::symlink)
      out[p] = "link " + n.target;
    else
      out[p] = "file " + util::octal_mode(n.inode->mode) + " " + util::sha256_hex(n.inode->data);
  }
  return out;
}

Status FakeDisk::begin(const std::string& what) {
  ++m_count;
  if (m_stop_at && m_count >= m_stop_at) return what + ": the process was stopped";
  if (m_fail_at && m_count == m_fail_at) return what + ": injected failure";
  m_changes.push_back(what);
  return "";
}

const FakeDisk::Node* FakeDisk::node(const std::string& path) const {
  auto it = m_nodes.find(norm(path));
  return it == m_nodes.end() ? nullptr : &it->second;
}

const FakeDisk::Node* FakeDisk::follow(const std::string& path) const {
  std::string p = norm(path);
  for (int hops = 0; hops < 16; ++hops) {
    const Node* n = node(p);
    if (!n || n->kind != Kind::symlink) return n;
    p = n->target.rfind('/', 0) == 0 ? norm(n->target) : norm(parent_of(p) + "/" + n->target);
  }
  return nullptr; // a loop
}

Status FakeDisk::need_parent(const std::string& path, const std::string& what) const {
  const Node* parent = node(parent_of(norm(path)));
  if (!parent) return what + " " + path + ": No such file or directory";
  if (parent->kind != Kind::dir) return what + " " + path + ": Not a directory";
  return "";
}

// Everything below a folder sorts together after "<dir>/" ("/a/x" follows "/a.b", so the
// search starts at the slash).
std::map<std::string, FakeDisk::Node>::const_iterator
FakeDisk::first_under(const std::string& dir) const {
  return dir == "/" ? m_nodes.upper_bound("/") : m_nodes.lower_bound(dir + "/");
}

bool FakeDisk::has_children(const std::string& dir) const {
  auto it = first_under(dir);
  return it != m_nodes.end() && under(it->first, dir);
}

std::optional<Stat> FakeDisk::lstat(const std::string& path) const {
  const Node* n = node(path);
  if (!n) return std::nullopt;
  Stat s;
  s.kind = n->kind;
  if (n->kind == Kind::file) {
    s.size = n->inode->data.size();
    s.mode = n->inode->mode;
    s.mtime_ns = n->inode->mtime_ns;
    s.links = static_cast<std::uint64_t>(n->inode.use_count());
  } else {
    s.size = n->kind == Kind::symlink ? n->target.size() : 0;
    s.mode = n->mode;
    s.mtime_ns = n->mtime_ns;
  }
  return s;
}

std::optional<std::string> FakeDisk::read(const std::string& path) const {
  const Node* n = follow(path);
  if (!n || n->kind != Kind::file) return std::nullopt;
  return n->inode->data;
}

std::optional<std::string> FakeDisk::read_link(const std::string& path) const {
  const Node* n = node(path);
  if (!n || n->kind != Kind::symlink) return std::nullopt;
  return n->target;
}

std::vector<std::string> FakeDisk::list(const std::string& dir) const {
  std::vector<std::string> out;
  std::string d = norm(dir);
  const Node* n = node(d);
  if (!n || n->kind != Kind::dir) return out;
  for (auto it = first_under(d); it != m_nodes.end() && under(it->first, d); ++it) {
    std::string rest = it->first.substr(d == "/" ? 1 : d.size() + 1);
    if (rest.find('/') == std::string::npos) out.push_back(rest);
  }
  return out; // the map's order is byte order: sorted
}

std::optional<std::string> FakeDisk::sha256(const std::string& path) const {
  auto data = read(path);
  if (!data) return std::nullopt;
  return util::sha256_hex(*data);
}

Status FakeDisk::write(const std::string& path, const std::string& data, unsigned mode) {
  std::string p = norm(path);
  if (Status s = need_parent(p, "create"); !s.empty()) return s;
  if (node(p)) return "create " + p + ": File exists";
  if (Status s = begin("write " + p); !s.empty()) return s;
  m_nodes[p] = Node{Kind::file, std::make_shared<Inode>(Inode{data, mode, tick()}), "", 0, 0};
  return "";
}

Status FakeDisk::copy(const std::string& from, const std::string& to, unsigned mode,
                      std::string* sha) {
  const Node* src = follow(from);
  if (!src || src->kind != Kind::file) return "open " + from + ": No such file or directory";
  std::string data = src->inode->data;
  if (Status s = write(to, data, mode); !s.empty()) return s;
  if (sha) *sha = util::sha256_hex(data);
  return "";
}

Status FakeDisk::clone(const std::string& from, const std::string& to, unsigned mode) {
  if (!m_reflinks) return k_no_reflink;
  const Node* src = node(from);
  if (!src || src->kind != Kind::file) return "open " + from + ": No such file or directory";
  Inode copy = *src->inode;
  copy.mode = mode;
  std::string p = norm(to);
  if (Status s = need_parent(p, "clone"); !s.empty()) return s;
  if (node(p)) return "clone " + p + ": File exists";
  if (Status s = begin("clone " + norm(from) + " -> " + p); !s.empty()) return s;
  m_nodes[p] = Node{Kind::file, std::make_shared<Inode>(copy), "", 0, 0};
  return "";
}

Status FakeDisk::link(const std::string& existing, const std::string& to) {
  const Node* src = node(existing);
  if (!src) return "link " + existing + ": No such file or directory";
  if (src->kind == Kind::dir) return "link " + existing + ": Operation not permitted";
  std::string p = norm(to);
  if (Status s = need_parent(p, "link"); !s.empty()) return s;
  if (node(p)) return "link " + p + ": File exists";
  Node copy = *src; // shares the inode: one file, two names
  if (Status s = begin("link " + norm(existing) + " -> " + p); !s.empty()) return s;
  m_nodes[p] = copy;
  return "";
}

Status FakeDisk::symlink(const std::string& target, const std::string& path) {
  std::string p = norm(path);
  if (Status s = need_parent(p, "symlink"); !s.empty()) return s;
  if (node(p)) return "symlink " + p + ": File exists";
  if (Status s = begin("symlink " + p + " -> " + target); !s.empty()) return s;
  m_nodes[p] = Node{Kind::symlink, nullptr, target, 0777, tick()};
  return "";
}

Status FakeDisk::rename(const std::string& from, const std::string& to) {
  std::string f = norm(from), t = norm(to);
  const Node* src = node(f);
  if (!src) return "rename " + f + " -> " + t + ": No such file or directory";
  if (Status s = need_parent(t, "rename"); !s.empty()) return s;
  if (f == t) return "";
  if (under(t, f)) return "rename " + f + " -> " + t + ": Invalid argument";
  if (const Node* dst = node(t)) {
    if (src->kind == Kind::dir && dst->kind != Kind::dir)
      return "rename " + f + " -> " + t + ": Not a directory";
    if (src->kind != Kind::dir && dst->kind == Kind::dir)
      return "rename " + f + " -> " + t + ": Is a directory";
    if (dst->kind == Kind::dir && has_children(t))
      return "rename " + f + " -> " + t + ": Directory not empty";
  }
  if (Status s = begin("rename " + f + " -> " + t); !s.empty()) return s;
  std::map<std::string, Node> moved;
  moved[t] = m_nodes[f];
  m_nodes.erase(f);
  for (auto it = first_under(f); it != m_nodes.end() && under(it->first, f);) {
    moved[t + it->first.substr(f.size())] = it->second;
    it = m_nodes.erase(it);
  }
  m_nodes.erase(t);
  for (auto& [p, n] : moved)
    m_nodes[p] = std::move(n);
  return "";
}

Status FakeDisk::remove(const std::string& path) {
  std::string p = norm(path);
  const Node* n = node(p);
  if (!n) return "remove " + p + ": No such file or directory";
  if (n->kind == Kind::dir) return "remove " + p + ": Is a directory";
  if (Status s = begin("remove " + p); !s.empty()) return s;
  m_nodes.erase(p);
  return "";
}

Status FakeDisk::remove_tree(const std::string& path) {
  std::string p = norm(path);
  if (!node(p)) return "";
  if (Status s = begin("remove-tree " + p); !s.empty()) return s;
  for (auto it = first_under(p); it != m_nodes.end() && under(it->first, p);)
    it = m_nodes.erase(it);
  if (p != "/") m_nodes.erase(p);
  return "";
}

Status FakeDisk::make_dir(const std::string& path, unsigned mode) {
  std::string p = norm(path);
  if (const Node* n = node(p)) return n->kind == Kind::dir ? "" : "mkdir " + p + ": File exists";
  if (Status s = need_parent(p, "mkdir"); !s.empty()) return s;
  if (Status s = begin("mkdir " + p); !s.empty()) return s;
  m_nodes[p] = Node{Kind::dir, nullptr, "", mode, tick()};
  return "";
}

Status FakeDisk::remove_dir(const std::string& path) {
  std::string p = norm(path);
  const Node* n = node(p);
  if (!n) return "rmdir " + p + ": No such file or directory";
  if (n->kind != Kind::dir) return "rmdir " + p + ": Not a directory";
  if (has_children(p)) return "rmdir " + p + ": Directory not empty";
  if (Status s = begin("rmdir " + p); !s.empty()) return s;
  m_nodes.erase(p);
  return "";
}

Status FakeDisk::set_mtime(const std::string& path, std::int64_t mtime_ns) {
  auto it = m_nodes.find(norm(path));
  if (it == m_nodes.end()) return "utimensat " + path + ": No such file or directory";
  if (Status s = begin("touch " + it->first); !s.empty()) return s;
  if (it->second.kind == Kind::file)
    it->second.inode->mtime_ns = mtime_ns;
  else
    it->second.mtime_ns = mtime_ns;
  return "";
}

Status FakeDisk::set_mode(const std::string& path, unsigned mode) {
  auto it = m_nodes.find(norm(path));
  if (it == m_nodes.end()) return "open " + path + ": No such file or directory";
  if (it->second.kind == Kind::symlink) return "open " + path + ": Too many levels of symbolic links";
  if (Status s = begin("chmod " + it->first); !s.empty()) return s;
  if (it->second.kind == Kind::file)
    it->second.inode->mode = mode;
  else
    it->second.mode = mode;
  return "";
}

Status FakeDisk::sync(const std::string& path) {
  return node(path) ? "" : "fsync " + path + ": No such file or directory";
}

Status FakeDisk::sync_tree(const std::string& path) {
  return sync(path);
}

} // namespace gpucfg::disk
