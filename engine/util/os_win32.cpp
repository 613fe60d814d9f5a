#include "util/fileinfo.hpp"
#include "util/os.hpp"

#include <algorithm>
#include <cstdio>
#include <fcntl.h>
#include <filesystem>
#include <io.h>
#include <random>
#include <sys/stat.h>
#include <thread>
#include <vector>
#include <windows.h>
// after windows.h, which it needs
#include <shellapi.h>

namespace gpucfg::util {
std::string last_error_text() {
  DWORD code = GetLastError();
  char* text = nullptr;
  FormatMessageA(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM |
                     FORMAT_MESSAGE_IGNORE_INSERTS,
                 nullptr, code, 0, reinterpret_cast<LPSTR>(&text), 0, nullptr);
  std::string message = text ? text : "error " + std::to_string(code);
  if (text) LocalFree(text);
  while (!message.empty() && (message.back() == '\n' || message.back() == '\r'))
    message.pop_back();
  return message;
}

int open_read(const std::string& path) {
  return ::_wopen(std::filesystem::u8path(path).wstring().c_str(),
                  _O_RDONLY | _O_BINARY | _O_NOINHERIT);
}

int open_write(const std::string& path) {
  return ::_wopen(std::filesystem::u8path(path).wstring().c_str(),
                  _O_RDWR | _O_CREAT | _O_TRUNC | _O_BINARY | _O_NOINHERIT, _S_IREAD | _S_IWRITE);
}

void close_fd(int fd) {
  if (fd >= 0) ::_close(fd);
}

namespace {
std::wstring wide(const std::string& path) {
  return std::filesystem::u8path(path).wstring();
}
HANDLE os_handle(int fd) {
  return reinterpret_cast<HANDLE>(::_get_osfhandle(fd));
}
} // namespace

std::string self_path() {
  std::wstring buf(32768, L'\0');
  DWORD n = GetModuleFileNameW(nullptr, buf.data(), static_cast<DWORD>(buf.size()));
  if (n == 0 || n >= buf.size()) return {};
  buf.resize(n);
  return std::filesystem::path(buf).u8string();
}

std::vector<std::string> utf8_arguments(int argc, char** argv) {
  int n = 0;
  LPWSTR* wide_args = CommandLineToArgvW(GetCommandLineW(), &n);
  if (!wide_args) return std::vector<std::string>(argv, argv + argc);
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i)
    out.push_back(std::filesystem::path(wide_args[i]).u8string());
  LocalFree(wide_args);
  return out;
}

std::string file_version(const std::string& path) {
  std::wstring p = std::filesystem::u8path(path).wstring();
  DWORD ignored = 0, size = GetFileVersionInfoSizeW(p.c_str(), &ignored);
  if (size == 0) return {};
  std::vector<char> data(size);
  if (!GetFileVersionInfoW(p.c_str(), 0, size, data.data())) return {};
  VS_FIXEDFILEINFO* info = nullptr;
  UINT len = 0;
  if (!VerQueryValueW(data.data(), L"\\", reinterpret_cast<void**>(&info), &len) || !info)
    return {};
  return std::to_string(HIWORD(info->dwFileVersionMS)) + "." +
         std::to_string(LOWORD(info->dwFileVersionMS)) + "." +
         std::to_string(HIWORD(info->dwFileVersionLS)) + "." +
         std::to_string(LOWORD(info->dwFileVersionLS));
}

std::string os_release() {
  // RtlGetVersion tells the truth; GetVersionEx answers what the program's manifest claims.
  using RtlGetVersion = LONG(WINAPI*)(OSVERSIONINFOW*);
  HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  auto fn = ntdll ? reinterpret_cast<RtlGetVersion>(
                        reinterpret_cast<void*>(GetProcAddress(ntdll, "RtlGetVersion")))
                  : nullptr;
  OSVERSIONINFOW v{};
  v.dwOSVersionInfoSize = sizeof v;
  if (!fn || fn(&v) != 0) return {};
  return std::to_string(v.dwMajorVersion) + "." + std::to_string(v.dwMinorVersion) + "." +
         std::to_string(v.dwBuildNumber);
}

void binary_stdio() {
  ::_setmode(::_fileno(stdout), _O_BINARY);
  ::_setmode(::_fileno(stderr), _O_BINARY);
}

std::FILE* open_append(const std::string& path) {
  return _wfopen(std::filesystem::u8path(path).wstring().c_str(), L"ab");
}

int open_new(const std::string& path) {
  // CREATE_NEW fails on anything already there, a link included; nothing is followed.
  HANDLE h = CreateFileW(wide(path).c_str(), GENERIC_READ | GENERIC_WRITE,
                         FILE_SHARE_READ | FILE_SHARE_DELETE, nullptr, CREATE_NEW,
                         FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, nullptr);
  if (h == INVALID_HANDLE_VALUE) return -1;
  int fd = ::_open_osfhandle(reinterpret_cast<intptr_t>(h), _O_RDWR | _O_BINARY);
  if (fd < 0) CloseHandle(h);
  return fd;
}

bool seek_to(int fd, std::uint64_t offset) {
  return ::_lseeki64(fd, static_cast<__int64>(offset), SEEK_SET) == static_cast<__int64>(offset);
}

unsigned usable_cores() {
  return std::max(1u, std::thread::hardware_concurrency());
}

void start_writeback(int, std::uint64_t, std::uint64_t) {
  // No asynchronous flush to ask for; fsync_tree flushes each file at the end.
}

void stamp_file(int fd, unsigned, std::int64_t mtime_ns) {
  // FILETIME counts 100 ns steps from 1601; Windows has no permission bits to set.
  std::uint64_t t = static_cast<std::uint64_t>(mtime_ns / 100) + 116444736000000000ull;
  FILETIME ft{static_cast<DWORD>(t), static_cast<DWORD>(t >> 32)};
  SetFileTime(os_handle(fd), nullptr, nullptr, &ft);
}

bool make_dir(const std::string& path, unsigned) {
  return CreateDirectoryW(wide(path).c_str(), nullptr) || GetLastError() == ERROR_ALREADY_EXISTS;
}

std::string make_hard_link(const std::string& existing, const std::string& link) {
  return CreateHardLinkW(wide(link).c_str(), wide(existing).c_str(), nullptr) ? ""
                                                                              : last_error_text();
}

std::string make_symbolic_link(const std::string& target, const std::string& link) {
  namespace fs = std::filesystem;
  // Windows marks a link to a folder as such; the target is read relative to the link's folder.
  fs::path resolved = fs::u8path(target);
  if (resolved.is_relative()) resolved = fs::u8path(link).parent_path() / resolved;
  auto info = lstat_info(resolved.u8string());
  DWORD flags = SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE;
  if (info && info->kind == FileInfo::Kind::dir) flags |= SYMBOLIC_LINK_FLAG_DIRECTORY;
  std::wstring t = fs::u8path(target).make_preferred().wstring();
  if (!CreateSymbolicLinkW(wide(link).c_str(), t.c_str(), flags)) return last_error_text();
  // Wine's CreateSymbolicLinkW reports success and makes nothing: say so instead of pretending.
  if (!lstat_info(link))
    return "the system reported success but made no link (symbolic links are unsupported "
           "here; Wine does not implement them)";
  return "";
}

std::string remove_link_or_file(const std::string& path) {
  auto info = lstat_info(path);
  // A link to a folder is removed as a folder; the folder it points to is untouched.
  bool dir_link = info && info->kind == FileInfo::Kind::symlink &&
                  (GetFileAttributesW(wide(path).c_str()) & FILE_ATTRIBUTE_DIRECTORY);
  BOOL ok = dir_link ? RemoveDirectoryW(wide(path).c_str()) : DeleteFileW(wide(path).c_str());
  return ok ? "" : last_error_text();
}

std::int64_t read_at(int fd, void* buf, std::size_t n, std::uint64_t offset) {
  // ReadFile with an offset in OVERLAPPED reads there whatever the file position is.
  HANDLE h = reinterpret_cast<HANDLE>(::_get_osfhandle(fd));
  OVERLAPPED at{};
  at.Offset = static_cast<DWORD>(offset);
  at.OffsetHigh = static_cast<DWORD>(offset >> 32);
  DWORD got = 0;
  DWORD want = static_cast<DWORD>(n > 0x40000000u ? 0x40000000u : n);
  if (!ReadFile(h, buf, want, &got, &at)) return GetLastError() == ERROR_HANDLE_EOF ? 0 : -1;
  return got;
}

bool is_terminal(int fd) {
  return ::_isatty(fd) != 0;
}

bool is_superuser() {
  HANDLE token = nullptr;
  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token)) return false;
  TOKEN_ELEVATION elevation{};
  DWORD size = 0;
  BOOL ok = GetTokenInformation(token, TokenElevation, &elevation, sizeof elevation, &size);
  CloseHandle(token);
  return ok && elevation.TokenIsElevated;
}

std::string hostname() {
  char name[256];
  DWORD size = sizeof name;
  return GetComputerNameExA(ComputerNameDnsHostname, name, &size) ? std::string(name, size) : "?";
}

int process_id() {
  return static_cast<int>(GetCurrentProcessId());
}

void kill_self() {
  TerminateProcess(GetCurrentProcess(), 137);
  ExitProcess(137); // not reached
}

std::string make_temp_dir(const std::string& prefix) {
  std::error_code ec;
  auto base = std::filesystem::temp_directory_path(ec);
  std::random_device rd;
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto dir = base / (prefix + "-" + std::to_string(rd() % 1000000));
    if (CreateDirectoryW(dir.wstring().c_str(), nullptr)) return dir.u8string();
    if (GetLastError() != ERROR_ALREADY_EXISTS) return "";
  }
  return "";
}

bool FileLock::try_lock(const std::string& path, bool shared) {
  unlock();
  HANDLE h = CreateFileW(std::filesystem::u8path(path).wstring().c_str(),
                         GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr,
                         OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (h == INVALID_HANDLE_VALUE) {
    m_error = "cannot open " + path + ": " + last_error_text();
    return false;
  }
  OVERLAPPED whole{};
  DWORD how = (shared ? 0 : LOCKFILE_EXCLUSIVE_LOCK) | LOCKFILE_FAIL_IMMEDIATELY;
  if (!LockFileEx(h, how, 0, MAXDWORD, MAXDWORD, &whole)) {
    m_error = "";
    CloseHandle(h);
    return false;
  }
  m_handle = reinterpret_cast<std::intptr_t>(h);
  return true;
}

std::string lock_holder(const std::string&) {
  return ""; // Windows does not say who holds a file lock
}

void FileLock::unlock() {
  if (m_handle == -1) return;
  HANDLE h = reinterpret_cast<HANDLE>(m_handle);
  OVERLAPPED whole{};
  UnlockFileEx(h, 0, MAXDWORD, MAXDWORD, &whole);
  CloseHandle(h);
  m_handle = -1;
}

DynamicLibrary::DynamicLibrary(const std::string& path) {
  // A library named by its full path finds its own dependencies beside it first (cudnn64_8.dll
  // and its cudnn_*64_8.dll), as it does when a program in that folder loads it; a bare name
  // (nvml.dll) is searched for the standard way.
  auto p = std::filesystem::u8path(path);
  DWORD flags = p.is_absolute() ? LOAD_WITH_ALTERED_SEARCH_PATH : 0;
  m_handle = reinterpret_cast<void*>(LoadLibraryExW(p.wstring().c_str(), nullptr, flags));
  if (!m_handle) m_error = last_error_text();
}

DynamicLibrary::~DynamicLibrary() {
  if (m_handle) FreeLibrary(reinterpret_cast<HMODULE>(m_handle));
}

std::string DynamicLibrary::path() const {
  wchar_t buf[32768];
  DWORD n = m_handle ? GetModuleFileNameW(reinterpret_cast<HMODULE>(m_handle), buf, 32768) : 0;
  return n ? std::filesystem::path(std::wstring(buf, n)).u8string() : "";
}

MappedFile::MappedFile(const std::string& path) {
  HANDLE file =
      CreateFileW(std::filesystem::u8path(path).wstring().c_str(), GENERIC_READ, FILE_SHARE_READ,
                  nullptr, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (file == INVALID_HANDLE_VALUE) return;
  LARGE_INTEGER size{};
  if (GetFileSizeEx(file, &size) && size.QuadPart > 0) {
    HANDLE mapping = CreateFileMappingW(file, nullptr, PAGE_READONLY, 0, 0, nullptr);
    if (mapping) {
      m_data = MapViewOfFile(mapping, FILE_MAP_READ, 0, 0, 0);
      if (m_data) m_size = static_cast<std::size_t>(size.QuadPart);
      CloseHandle(mapping); // the view keeps the mapping alive
    }
  }
  CloseHandle(file);
}

MappedFile::~MappedFile() {
  if (m_data) UnmapViewOfFile(m_data);
}

bool write_all(int fd, const char* data, std::size_t n) {
  for (std::size_t done = 0; done < n;) {
    unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(n - done, 1u << 30));
    int w = ::_write(fd, data + done, chunk);
    if (w <= 0) return false;
    done += static_cast<std::size_t>(w);
  }
  return true;
}

void drop_pages(const char*, std::size_t) {}

std::size_t page_size() {
  SYSTEM_INFO info;
  GetSystemInfo(&info);
  return info.dwPageSize;
}

const char* const k_nvml_library = "nvml.dll";

void* DynamicLibrary::symbol(const char* name) const {
  return m_handle
             ? reinterpret_cast<void*>(GetProcAddress(reinterpret_cast<HMODULE>(m_handle), name))
             : nullptr;
}

} // namespace gpucfg::util
