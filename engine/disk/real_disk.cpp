#include "disk/real_disk.hpp"

#include "disk/fsops.hpp"
#include "util/fileinfo.hpp"
#include "util/os.hpp"
#include "util/sha256.hpp"

#include <algorithm>
#include <filesystem>

namespace gpucfg::disk {

namespace fs = std::filesystem;

namespace {
Stat to_stat(const util::FileInfo& info) {
  const util::FileInfo* i = &info;
  using K = util::FileInfo::Kind;
  Stat s;
  s.kind = i->kind == K::file      ? Kind::file
           : i->kind == K::dir     ? Kind::dir
           : i->kind == K::symlink ? Kind::symlink
                                   : Kind::other;
  s.size = i->size;
  s.mtime_ns = i->mtime_ns;
  s.mode = i->mode;
  s.links = i->links;
  s.uid = i->uid;
  return s;
}
} // namespace

std::optional<Stat> RealDisk::lstat(const std::string& path) const {
  auto i = util::lstat_info(path);
  if (!i) return std::nullopt;
  return to_stat(*i);
}

std::vector<std::pair<std::string, Stat>> RealDisk::list_stat(const std::string& dir) const {
  std::vector<std::pair<std::string, Stat>> out;
  for (auto& [name, info] : util::list_lstat(dir))
    out.emplace_back(std::move(name), to_stat(info));
  return out;
}

std::optional<std::string> RealDisk::read(const std::string& path) const {
  return read_text(path);
}

std::optional<std::string> RealDisk::read_link(const std::string& path) const {
  std::error_code ec;
  auto t = fs::read_symlink(fs::u8path(path), ec);
  if (ec) return std::nullopt;
  return t.generic_u8string();
}

std::vector<std::string> RealDisk::list(const std::string& dir) const {
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::directory_iterator it(fs::u8path(dir), ec), end; !ec && it != end; it.increment(ec))
    out.push_back(it->path().filename().u8string());
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<std::string> RealDisk::sha256(const std::string& path) const {
  return util::sha256_file(path);
}

Status RealDisk::write(const std::string& path, const std::string& data, unsigned mode) {
  return write_file(path, data, mode);
}

Status RealDisk::copy(const std::string& from, const std::string& to, unsigned mode,
                      std::string* sha) {
  return copy_file(from, to, mode, sha);
}

Status RealDisk::clone(const std::string& from, const std::string& to, unsigned mode) {
  return clone_file(from, to, mode);
}

Status RealDisk::link(const std::string& existing, const std::string& to) {
  return hard_link(existing, to);
}

Status RealDisk::symlink(const std::string& target, const std::string& path) {
  return make_symlink(target, path);
}

Status RealDisk::rename(const std::string& from, const std::string& to) {
  return rename_replace(from, to);
}

Status RealDisk::remove(const std::string& path) {
  return remove_file(path);
}

Status RealDisk::remove_tree(const std::string& path) {
  return disk::remove_tree(path);
}

Status RealDisk::make_dir(const std::string& path, unsigned mode) {
  return make_one_dir(path, mode);
}

Status RealDisk::remove_dir(const std::string& path) {
  return remove_empty_dir(path);
}

Status RealDisk::set_mtime(const std::string& path, std::int64_t mtime_ns) {
  return disk::set_mtime(path, mtime_ns);
}

Status RealDisk::set_mode(const std::string& path, unsigned mode) {
  return disk::set_mode(path, mode);
}

Status RealDisk::sync(const std::string& path) {
  return fsync_path(path);
}

Status RealDisk::sync_tree(const std::string& path) {
  return fsync_tree(path);
}

RealDisk& real_disk() {
  static RealDisk d;
  return d;
}

} // namespace gpucfg::disk
