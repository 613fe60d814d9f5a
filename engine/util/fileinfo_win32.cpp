#include "util/fileinfo.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <filesystem>
#include <windows.h>

namespace gpucfg::util {

std::optional<FileInfo> lstat_info(const std::string& path) {
  // FindFirstFileW reports the entry itself (a reparse point is not followed) with its tag.
  WIN32_FIND_DATAW d;
  HANDLE h = FindFirstFileW(std::filesystem::u8path(path).wstring().c_str(), &d);
  if (h == INVALID_HANDLE_VALUE) return std::nullopt;
  FindClose(h);
  FileInfo f;
  bool link =
      (d.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) &&
      (d.dwReserved0 == IO_REPARSE_TAG_SYMLINK || d.dwReserved0 == IO_REPARSE_TAG_MOUNT_POINT);
  f.kind = link                                              ? FileInfo::Kind::symlink
           : (d.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) ? FileInfo::Kind::dir
                                                             : FileInfo::Kind::file;
  f.size = (static_cast<std::uint64_t>(d.nFileSizeHigh) << 32) | d.nFileSizeLow;
  // FILETIME: 100 ns ticks since 1601-01-01; the Unix epoch is 11644473600 s later.
  std::uint64_t ticks = (static_cast<std::uint64_t>(d.ftLastWriteTime.dwHighDateTime) << 32) |
                        d.ftLastWriteTime.dwLowDateTime;
  f.mtime_ns = (static_cast<std::int64_t>(ticks) - 116444736000000000LL) * 100;
  bool program = ends_with(path, ".exe") || ends_with(path, ".bat") || ends_with(path, ".cmd");
  f.mode = f.kind == FileInfo::Kind::dir || program ? 0755 : 0644;
  if (d.dwFileAttributes & FILE_ATTRIBUTE_READONLY) f.mode &= ~0222u;
  return f;
}

std::vector<std::pair<std::string, FileInfo>> list_lstat(const std::string& dir) {
  std::vector<std::pair<std::string, FileInfo>> out;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(std::filesystem::u8path(dir), ec), end;
       !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().u8string();
    if (auto f = lstat_info(dir + "/" + name)) out.emplace_back(name, *f);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

} // namespace gpucfg::util
