#include "util/fileinfo.hpp"

#include <algorithm>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace gpucfg::util {

namespace {
FileInfo from_stat(const struct stat& st) {
  FileInfo f;
  f.kind = S_ISREG(st.st_mode)   ? FileInfo::Kind::file
           : S_ISDIR(st.st_mode) ? FileInfo::Kind::dir
           : S_ISLNK(st.st_mode) ? FileInfo::Kind::symlink
                                 : FileInfo::Kind::other;
  f.size = static_cast<std::uint64_t>(st.st_size);
  f.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  f.mode = st.st_mode & 07777;
  f.links = static_cast<std::uint64_t>(st.st_nlink);
  f.uid = static_cast<std::uint32_t>(st.st_uid);
  return f;
}
} // namespace

std::optional<FileInfo> lstat_info(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return std::nullopt;
  return from_stat(st);
}

std::vector<std::pair<std::string, FileInfo>> list_lstat(const std::string& dir) {
  std::vector<std::pair<std::string, FileInfo>> out;
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return out;
  DIR* d = ::fdopendir(fd);
  if (!d) {
    ::close(fd);
    return out;
  }
  while (const dirent* e = ::readdir(d)) {
    if (!std::strcmp(e->d_name, ".") || !std::strcmp(e->d_name, "..")) continue;
    struct stat st {};
    if (::fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
      out.emplace_back(e->d_name, from_stat(st));
  }
  ::closedir(d); // closes fd
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

} // namespace gpucfg::util
