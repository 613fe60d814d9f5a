#include "util/fileinfo.hpp"

#include <sys/stat.h>

namespace gpucfg::util {

std::optional<FileInfo> lstat_info(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return std::nullopt;
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

} // namespace gpucfg::util
