// What lstat(2) says about one path, the same on every platform: its kind (a link is a link,
// never followed), size, modification time in nanoseconds and permission bits. The per-platform
// halves are util/fileinfo_posix.cpp and util/fileinfo_win32.cpp (GetFileAttributesExW; a
// reparse point that is a symbolic link counts as a link; Windows has no mode bits, so files
// read 0644, or 0755 for programs).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace gpucfg::util {

struct FileInfo {
  enum class Kind { file, dir, symlink, other } kind = Kind::other;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  unsigned mode = 0; // permission bits (07777)
  std::uint64_t links = 1; // names of the same file (hard links); 1 on Windows
  std::uint32_t uid = 0;   // owner; 0 on Windows
};

// nullopt: nothing at `path` (a dangling link is there: it is a symlink).
std::optional<FileInfo> lstat_info(const std::string& path);

} // namespace gpucfg::util
