#include "probe/disk_host.hpp"

namespace gpucfg::probe {

std::string DiskHost::resolve(const std::string& path) const {
  std::string p = path;
  for (int hops = 0; hops < 16; ++hops) {
    auto st = m_disk.lstat(p);
    if (!st || st->kind != disk::Kind::symlink) return p;
    std::string t = m_disk.read_link(p).value_or("");
    p = !t.empty() && t[0] == '/' ? t : join(dirname(p), t);
  }
  return path; // a loop
}

std::optional<std::string> DiskHost::read(const std::string& path, std::size_t max_bytes) const {
  auto text = m_disk.read(resolve(path));
  if (text && text->size() > max_bytes) text->resize(max_bytes);
  return text;
}

std::vector<std::string> DiskHost::list(const std::string& dir) const {
  return m_disk.list(resolve(dir));
}

bool DiskHost::is_dir(const std::string& path) const {
  auto st = m_disk.lstat(resolve(path));
  return st && st->kind == disk::Kind::dir;
}

bool DiskHost::is_file(const std::string& path) const {
  auto st = m_disk.lstat(resolve(path));
  return st && st->kind == disk::Kind::file;
}

bool DiskHost::is_executable(const std::string& path) const {
  auto st = m_disk.lstat(resolve(path));
  return st && st->kind == disk::Kind::file && (st->mode & 0111);
}

std::optional<FileStat> DiskHost::lstat(const std::string& path) const {
  auto st = m_disk.lstat(path);
  if (!st) return std::nullopt;
  FileStat f;
  f.kind = st->kind == disk::Kind::file      ? "file"
           : st->kind == disk::Kind::dir     ? "dir"
           : st->kind == disk::Kind::symlink ? "symlink"
                                             : "other";
  f.size = st->size;
  f.mtime_ns = st->mtime_ns;
  f.mode = st->mode;
  return f;
}

std::optional<std::string> DiskHost::read_link(const std::string& path) const {
  return m_disk.read_link(path);
}

std::optional<std::string> DiskHost::env(const std::string& name) const {
  auto it = m_env.find(name);
  if (it == m_env.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> DiskHost::env_names(const std::string& prefix) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : m_env)
    if (k.rfind(prefix, 0) == 0) out.push_back(k);
  return out;
}

RunResult DiskHost::run(const std::vector<std::string>& argv, std::chrono::milliseconds) const {
  RunResult r;
  r.output = (argv.empty() ? std::string("a program") : argv[0]) +
             ": programs do not run on a machine in memory";
  return r;
}

} // namespace gpucfg::probe
