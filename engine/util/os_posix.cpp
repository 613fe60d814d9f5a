#include "util/os.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <dlfcn.h>
#include <fcntl.h>
#include <filesystem>
#include <link.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <thread>
#include <unistd.h>

namespace gpucfg::util {

int open_read(const std::string& path) {
  return ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
}

int open_write(const std::string& path) {
  return ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

void close_fd(int fd) {
  if (fd >= 0) ::close(fd);
}

std::string self_path() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : exe.string();
}

void binary_stdio() {}

std::string os_release() {
  return {};
}

std::string file_version(const std::string&) {
  return {};
}

std::vector<std::string> utf8_arguments(int argc, char** argv) {
  return std::vector<std::string>(argv, argv + argc);
}

std::FILE* open_append(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return nullptr;
  std::FILE* f = ::fdopen(fd, "ab");
  if (!f) ::close(fd);
  return f;
}

int open_new(const std::string& path) {
  return ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
}

bool seek_to(int fd, std::uint64_t offset) {
  return ::lseek(fd, static_cast<off_t>(offset), SEEK_SET) == static_cast<off_t>(offset);
}

unsigned usable_cores() {
#ifdef __linux__
  cpu_set_t set;
  if (::sched_getaffinity(0, sizeof set, &set) == 0)
    return static_cast<unsigned>(std::max(1, CPU_COUNT(&set)));
#endif
  return std::max(1u, std::thread::hardware_concurrency());
}

void start_writeback(int fd, std::uint64_t offset, std::uint64_t n) {
#ifdef __linux__
  ::sync_file_range(fd, static_cast<off_t>(offset), static_cast<off_t>(n), SYNC_FILE_RANGE_WRITE);
#else
  (void)fd, (void)offset, (void)n;
#endif
}

void stamp_file(int fd, unsigned mode, std::int64_t mtime_ns) {
  ::fchmod(fd, static_cast<mode_t>(mode));
  struct timespec times[2] = {
      {0, UTIME_OMIT},
      {static_cast<time_t>(mtime_ns / 1000000000), static_cast<long>(mtime_ns % 1000000000)}};
  ::futimens(fd, times);
}

bool make_dir(const std::string& path, unsigned mode) {
  return ::mkdir(path.c_str(), static_cast<mode_t>(mode)) == 0 || errno == EEXIST;
}

std::string make_hard_link(const std::string& existing, const std::string& link) {
  return ::link(existing.c_str(), link.c_str()) == 0 ? "" : std::strerror(errno);
}

std::string make_symbolic_link(const std::string& target, const std::string& link) {
  return ::symlink(target.c_str(), link.c_str()) == 0 ? "" : std::strerror(errno);
}

std::string remove_link_or_file(const std::string& path) {
  return ::unlink(path.c_str()) == 0 ? "" : std::strerror(errno);
}

std::int64_t read_at(int fd, void* buf, std::size_t n, std::uint64_t offset) {
  ssize_t got;
  do
    got = ::pread(fd, buf, n, static_cast<off_t>(offset));
  while (got < 0 && errno == EINTR);
  return got;
}

std::string last_error_text() {
  return std::strerror(errno);
}

bool is_terminal(int fd) {
  return ::isatty(fd) == 1;
}

bool is_superuser() {
  return ::geteuid() == 0;
}

std::string hostname() {
  char host[256] = "?";
  ::gethostname(host, sizeof host - 1);
  return host;
}

int process_id() {
  return static_cast<int>(::getpid());
}

void kill_self() {
  ::kill(::getpid(), SIGKILL);
  ::_exit(137); // not reached
}

std::string make_temp_dir(const std::string& prefix) {
  std::error_code ec;
  std::string dir = (std::filesystem::temp_directory_path(ec) / (prefix + "-XXXXXX")).string();
  return ::mkdtemp(dir.data()) ? dir : "";
}

bool FileLock::try_lock(const std::string& path, bool shared) {
  unlock();
  // Owner-only: a file others can open, they can flock, and so block every gpucfg (LOCK_SH is
  // granted on a read-only descriptor too). O_NOFOLLOW: a link planted at the name would make
  // root create its target.
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    m_error = "cannot open " + path + ": " + std::strerror(errno);
    return false;
  }
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_uid == ::geteuid() && (st.st_mode & 077))
    ::fchmod(fd, 0600); // one an older gpucfg left readable by others
  if (::flock(fd, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
    m_error = "";
    ::close(fd);
    return false;
  }
  m_handle = fd;
  return true;
}

std::string lock_holder(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "";
  // /proc/locks: "1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF" (device major:minor in hex).
  char want[64];
  std::snprintf(want, sizeof want, "%02x:%02x:%lu", major(st.st_dev), minor(st.st_dev),
                static_cast<unsigned long>(st.st_ino));
  std::FILE* f = std::fopen("/proc/locks", "r");
  if (!f) return "";
  char line[512];
  std::string who;
  while (who.empty() && std::fgets(line, sizeof line, f)) {
    char kind[16], how[16], mode[16], dev[64];
    long pid = 0;
    if (std::sscanf(line, "%*s %15s %15s %15s %ld %63s", kind, how, mode, &pid, dev) != 5) continue;
    if (std::string(dev) != want || pid <= 0) continue;
    std::string comm;
    if (std::FILE* c = std::fopen(("/proc/" + std::to_string(pid) + "/comm").c_str(), "r")) {
      char name[64] = "";
      if (std::fgets(name, sizeof name, c)) comm = name;
      std::fclose(c);
      while (!comm.empty() && (comm.back() == '\n' || comm.back() == ' '))
        comm.pop_back();
    }
    who = "pid " + std::to_string(pid) + (comm.empty() ? "" : " (" + comm + ")");
  }
  std::fclose(f);
  return who;
}

void FileLock::unlock() {
  if (m_handle == -1) return;
  int fd = static_cast<int>(m_handle);
  ::flock(fd, LOCK_UN);
  ::close(fd);
  m_handle = -1;
}

DynamicLibrary::DynamicLibrary(const std::string& path)
    : m_handle(::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL)) {
  if (!m_handle) {
    const char* e = ::dlerror();
    m_error = e ? e : "dlopen failed";
  }
}

DynamicLibrary::~DynamicLibrary() {
  if (m_handle) ::dlclose(m_handle);
}

void* DynamicLibrary::symbol(const char* name) const {
  return m_handle ? ::dlsym(m_handle, name) : nullptr;
}

std::string DynamicLibrary::path() const {
  link_map* lm = nullptr;
  if (m_handle && ::dlinfo(m_handle, RTLD_DI_LINKMAP, &lm) == 0 && lm && lm->l_name)
    return lm->l_name;
  return "";
}

MappedFile::MappedFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_size > 0) {
    void* map =
        ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    if (map != MAP_FAILED) {
      m_data = map;
      m_size = static_cast<std::size_t>(st.st_size);
    }
  }
  ::close(fd);
}

MappedFile::~MappedFile() {
  if (m_data) ::munmap(m_data, m_size);
}

bool write_all(int fd, const char* data, std::size_t n) {
  for (std::size_t done = 0; done < n;) {
    ssize_t w = ::write(fd, data + done, n - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    done += static_cast<std::size_t>(w);
  }
  return true;
}

void drop_pages(const char* addr, std::size_t n) {
  ::madvise(const_cast<char*>(addr), n, MADV_DONTNEED);
}

std::size_t page_size() {
  return static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

const char* const k_nvml_library = "libnvidia-ml.so.1";

} // namespace gpucfg::util
