// fsops on Windows: FlushFileBuffers for fsync (folders need none: NTFS journals its metadata,
// and renames are written through), MoveFileExW with MOVEFILE_REPLACE_EXISTING |
// MOVEFILE_WRITE_THROUGH for rename-over, CreateHardLinkW, CreateSymbolicLinkW (unprivileged
// where Developer Mode allows; otherwise the error says so). Windows has no mode bits: `mode`
// is not applied. Paths are UTF-8, converted to the wide API.
#include "disk/fsops.hpp"
#include "util/fileinfo.hpp"
#include "util/os.hpp"
#include "util/sha256.hpp"

#include <filesystem>
#include <vector>
#include <windows.h>

namespace gpucfg::disk {
namespace {

namespace fs = std::filesystem;

std::wstring wide(const std::string& path) {
  return fs::u8path(path).wstring();
}

Status err(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + util::last_error_text();
}

struct Handle {
  HANDLE h;
  explicit Handle(HANDLE handle) : h(handle) {}
  ~Handle() {
    if (ok()) CloseHandle(h);
  }
  bool ok() const { return h != INVALID_HANDLE_VALUE; }
};

HANDLE create(const std::string& path) {
  // CREATE_NEW: never through a file already at the name (see fsops.hpp).
  return CreateFileW(wide(path).c_str(), GENERIC_WRITE, 0, nullptr, CREATE_NEW,
                     FILE_ATTRIBUTE_NORMAL, nullptr);
}

bool write_all(HANDLE h, const char* data, std::size_t n) {
  while (n > 0) {
    DWORD chunk = static_cast<DWORD>(std::min<std::size_t>(n, 1u << 30)), done = 0;
    if (!WriteFile(h, data, chunk, &done, nullptr)) return false;
    data += done;
    n -= done;
  }
  return true;
}

} // namespace

Status fsync_path(const std::string& path) {
  auto info = util::lstat_info(path);
  if (!info || info->kind != util::FileInfo::Kind::file) return ""; // folders, links: see above
  Handle h(CreateFileW(wide(path).c_str(), GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE,
                       nullptr, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr));
  if (!h.ok()) return err("open", path);
  return FlushFileBuffers(h.h) ? "" : err("flush", path);
}

Status write_file(const std::string& path, const std::string& data, unsigned /*mode*/) {
  Handle h(create(path));
  if (!h.ok()) return err("create", path);
  if (!write_all(h.h, data.data(), data.size())) return err("write", path);
  return FlushFileBuffers(h.h) ? "" : err("flush", path);
}

namespace {

Status copy_bytes(const std::string& from, const std::string& to) {
  Handle in(CreateFileW(wide(from).c_str(), GENERIC_READ, FILE_SHARE_READ, nullptr, OPEN_EXISTING,
                        FILE_FLAG_SEQUENTIAL_SCAN, nullptr));
  if (!in.ok()) return err("open", from);
  Handle out(create(to));
  if (!out.ok()) return err("create", to);
  std::vector<char> buf(1 << 20);
  for (;;) {
    DWORD n = 0;
    if (!ReadFile(in.h, buf.data(), static_cast<DWORD>(buf.size()), &n, nullptr))
      return err("read", from);
    if (n == 0) break;
    if (!write_all(out.h, buf.data(), n)) return err("write", to);
  }
  return FlushFileBuffers(out.h) ? "" : err("flush", to);
}

} // namespace

Status copy_file(const std::string& from, const std::string& to, unsigned /*mode*/,
                 std::string* sha) {
  // Hashed from the written file once it is closed (opened exclusively while being written).
  if (Status s = copy_bytes(from, to); !s.empty()) return s;
  if (sha) *sha = util::sha256_file(to).value_or("");
  return "";
}

Status make_one_dir(const std::string& path, unsigned /*mode*/) {
  if (CreateDirectoryW(wide(path).c_str(), nullptr)) return "";
  auto info = util::lstat_info(path);
  if (GetLastError() == ERROR_ALREADY_EXISTS && info && info->kind == util::FileInfo::Kind::dir)
    return "";
  return err("mkdir", path);
}

Status clone_file(const std::string&, const std::string&, unsigned) {
  return k_no_reflink; // ReFS block cloning is not used: NTFS has none
}

Status set_mode(const std::string&, unsigned) {
  return ""; // Windows has no mode bits (ACLs are not changed)
}

Status set_mtime(const std::string& path, std::int64_t mtime_ns) {
  Handle h(CreateFileW(wide(path).c_str(), FILE_WRITE_ATTRIBUTES, FILE_SHARE_READ, nullptr,
                       OPEN_EXISTING, FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS,
                       nullptr));
  if (!h.ok()) return err("open", path);
  // 100 ns intervals since 1601-01-01.
  std::uint64_t t = static_cast<std::uint64_t>(mtime_ns / 100) + 116444736000000000ULL;
  FILETIME ft{static_cast<DWORD>(t), static_cast<DWORD>(t >> 32)};
  return SetFileTime(h.h, nullptr, nullptr, &ft) ? "" : err("set time", path);
}

Status fsync_tree(const std::string& path) {
  // No syncfs: each file is flushed.
  std::error_code ec;
  for (fs::recursive_directory_iterator it(fs::u8path(path), ec), end; !ec && it != end;
       it.increment(ec))
    if (it->is_regular_file(ec))
      if (Status s = fsync_path(it->path().u8string()); !s.empty()) return s;
  return ec ? "flush " + path + ": " + ec.message() : "";
}

Status rename_replace(const std::string& from, const std::string& to) {
  return MoveFileExW(wide(from).c_str(), wide(to).c_str(),
                     MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)
             ? ""
             : err("rename " + from + " ->", to);
}

Status remove_empty_dir(const std::string& path) {
  return RemoveDirectoryW(wide(path).c_str()) ? "" : err("rmdir", path);
}

} // namespace gpucfg::disk
