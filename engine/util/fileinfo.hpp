// What lstat(2) says about one path, the same on every platform: its kind (a link is a link,
// never followed), size, modification time in nanoseconds and permission bits. The per-platform
// halves are util/fileinfo_posix.cpp and util/fileinfo_win32.cpp (GetFileAttributesExW; a
// reparse point that is a symbolic link counts as a link; Windows has no mode bits, so files
// read 0644, or 0755 for programs).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace gpucfg::util {

struct FileInfo {
  enum class Kind { file, dir, symlink, other } kind = Kind::other;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  unsigned mode = 0;       // permission bits (07777)
  std::uint64_t links = 1; // names of the same file (hard links); 1 on Windows
  std::uint32_t uid = 0;   // owner; 0 on Windows
};

// nullopt: nothing at `path` (a dangling link is there: it is a symlink).
std::optional<FileInfo> lstat_info(const std::string& path);

// A folder's entries with what lstat says of each, sorted by name ("." and ".." left out; an
// entry gone between listing and lstat is left out too). On POSIX each is asked relative to the
// open folder (fstatat), so a tree walk does not have the kernel walk every full path again.
std::vector<std::pair<std::string, FileInfo>> list_lstat(const std::string& dir);

} // namespace gpucfg::util
