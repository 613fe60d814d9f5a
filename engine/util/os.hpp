// The small operating-system primitives the engine needs beyond std::filesystem, one
// declaration each, with util/os_posix.cpp and util/os_win32.cpp behind them, so no engine file
// carries an #ifdef.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace gpucfg::util {

// A stream appending to `path` (created owner-only when missing), never through a link planted
// at the name (O_NOFOLLOW): a resumed download. nullptr on failure.
std::FILE* open_append(const std::string& path);

// A descriptor for reading `path` (binary, not inherited by children); -1 on failure.
int open_read(const std::string& path);
// A descriptor for writing `path`, created or truncated (binary, not inherited); -1 on failure.
int open_write(const std::string& path);
void close_fd(int fd);
// Reads up to `n` bytes at `offset` without moving the file position (pread); -1 on error.
std::int64_t read_at(int fd, void* buf, std::size_t n, std::uint64_t offset);

// What the last failed system call said (strerror(errno); FormatMessage(GetLastError())).
std::string last_error_text();

// Output as written: Windows' C runtime would turn each \n of stdout and stderr into \r\n, and a
// plan saved there would differ from the same plan saved on Linux. A no-op elsewhere.
void binary_stdio();
// The command line as UTF-8, program name first: argv itself on Linux; on Windows the wide
// command line converted, since argv there is in the ANSI code page and loses other characters.
std::vector<std::string> utf8_arguments(int argc, char** argv);

// Whether descriptor 0, 1 or 2 is a terminal (a person may be asked, progress may redraw).
bool is_terminal(int fd);

// root on Linux; an elevated administrator on Windows.
bool is_superuser();
std::string hostname();
// A Windows executable's or DLL's version resource ("8.1.0.77"); "" where there is none (and
// always on Linux, whose libraries carry their version in the file name).
std::string file_version(const std::string& path);
// The system's release as its API reports it ("10.0.19045" on Windows); "" on Linux, where
// /etc/os-release says it.
std::string os_release();
// This program's own file (/proc/self/exe; GetModuleFileNameW); "" when the system will not say.
std::string self_path();
int process_id();
// Ends this process at once, as SIGKILL would (the fault-injection hook of apply's tests).
[[noreturn]] void kill_self();
// A new, empty folder under the system's temporary folder, named `prefix`-XXXXXX; "" on failure.
std::string make_temp_dir(const std::string& prefix);

// An exclusive lock on a file that the system drops when its holder dies (flock; LockFileEx).
class FileLock {
public:
  FileLock() = default;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock() { unlock(); }
  // Opens (creating, owner-only, never through a link) `path` and tries once, without waiting;
  // `shared` takes a lock many holders may share, which an exclusive one excludes. False: held by
  // another, or the file cannot be opened (error() says which).
  bool try_lock(const std::string& path, bool shared = false);
  void unlock();
  bool held() const { return m_handle != -1; }
  const std::string& error() const { return m_error; }

private:
  std::intptr_t m_handle = -1;
  std::string m_error;
};

// Who holds a lock on `path`, as the system says ("pid 4242 (flock)"); "" when it does not say.
std::string lock_holder(const std::string& path);

// A whole file mapped read-only (mmap; MapViewOfFile): its bytes without reading them all.
// Empty when the file is missing, empty or cannot be mapped.
class MappedFile {
public:
  explicit MappedFile(const std::string& path);
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();
  const char* data() const { return static_cast<const char*>(m_data); }
  std::size_t size() const { return m_size; }
  bool empty() const { return m_size == 0; }

private:
  void* m_data = nullptr;
  std::size_t m_size = 0;
};

// Cores this process may run on, at least 1: its affinity mask where there is one (`taskset`,
// a container's cpuset), which std::thread::hardware_concurrency ignores.
unsigned usable_cores();
// Writes all `n` bytes to `fd`; false on an error.
bool write_all(int fd, const char* data, std::size_t n);
// Moves the file position of `fd` to `offset`; false on an error.
bool seek_to(int fd, std::uint64_t offset);
// Asks the kernel to start writing `n` bytes of `fd` from `offset` to disk now, without waiting
// (Linux: sync_file_range WRITE, as dpkg does before its fsyncs; elsewhere nothing). The sync
// that makes a tree durable then finds the pages already on their way instead of waiting for all
// of them at the end.
void start_writeback(int fd, std::uint64_t offset, std::uint64_t n);

// What archive extraction writes with, each refusing to follow or replace what is already at
// the path (another archive's file, a planted link): the caller tells "it was there" from other
// failures by looking (lstat_info). Failures leave last_error_text() set.
// A new file, read-write, created only if nothing (not even a dangling link) is at `path`.
int open_new(const std::string& path);
// The permission bits (POSIX; Windows has none to set) and the modification time of an open file.
void stamp_file(int fd, unsigned mode, std::int64_t mtime_ns);
// A folder; true when it was made or something was already there (the caller checks what).
bool make_dir(const std::string& path, unsigned mode);
// Each "" on success, else why (without the path): link(2) / CreateHardLinkW, symlink(2) /
// CreateSymbolicLinkW (relative targets stay relative), unlink(2) / DeleteFileW (a link is
// removed, never what it points to).
std::string make_hard_link(const std::string& existing, const std::string& link);
std::string make_symbolic_link(const std::string& target, const std::string& link);
std::string remove_link_or_file(const std::string& path);
// Tells the system the pages of [addr, addr + n) are not needed again (madvise DONTNEED; a
// no-op on Windows, where the working set is trimmed by the system).
void drop_pages(const char* addr, std::size_t n);
std::size_t page_size();

// The driver's management library (NVML): libnvidia-ml.so.1; nvml.dll (System32).
extern const char* const k_nvml_library;

// A shared library opened at run time (dlopen; LoadLibrary), closed with the object.
class DynamicLibrary {
public:
  explicit DynamicLibrary(const std::string& path);
  DynamicLibrary(const DynamicLibrary&) = delete;
  DynamicLibrary& operator=(const DynamicLibrary&) = delete;
  ~DynamicLibrary();
  bool loaded() const { return m_handle != nullptr; }
  void* symbol(const char* name) const;
  std::string path() const;                            // the file the system loaded, as it names it
  const std::string& error() const { return m_error; } // why it did not load

private:
  void* m_handle = nullptr;
  std::string m_error;
};

} // namespace gpucfg::util
