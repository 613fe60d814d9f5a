// fsops on Linux: open/write/fsync, syncfs for a whole tree, rename(2), link(2), symlink(2).
#include "disk/fsops.hpp"
#include "util/sha256.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace gpucfg::disk {

namespace {
Status err(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}
} // namespace

Status fsync_path(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return errno == ELOOP ? "" : err("open", path); // a symlink: its folder's fsync covers it
  int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 || errno == EINVAL ? "" : err("fsync", path);
}

Status write_file(const std::string& path, const std::string& data, unsigned mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) return err("create", path);
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status s = err("write", path);
      ::close(fd);
      return s;
    }
    done += static_cast<std::size_t>(n);
  }
  ::fchmod(fd, mode);
  Status s = ::fsync(fd) == 0 ? "" : err("fsync", path);
  ::close(fd);
  return s;
}

Status copy_file(const std::string& from, const std::string& to, unsigned mode, std::string* sha) {
  int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return err("open", from);
  int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
  if (out < 0) {
    Status s = err("create", to);
    ::close(in);
    return s;
  }
  std::vector<char> buf(1 << 20);
  std::string all; // hashed after the copy from the written file, so what we hash is what landed
  Status s;
  for (;;) {
    ssize_t n = ::read(in, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      s = err("read", from);
      break;
    }
    if (n == 0) break;
    for (ssize_t done = 0; done < n;) {
      ssize_t w = ::write(out, buf.data() + done, static_cast<std::size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        s = err("write", to);
        break;
      }
      done += w;
    }
    if (!s.empty()) break;
  }
  ::fchmod(out, mode);
  if (s.empty() && ::fsync(out) != 0) s = err("fsync", to);
  ::close(in);
  ::close(out);
  if (s.empty() && sha) *sha = util::sha256_file(to).value_or("");
  return s;
}

Status fsync_tree(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return err("open", path);
  int rc = ::syncfs(fd);
  ::close(fd);
  return rc == 0 ? "" : err("syncfs", path);
}

Status make_one_dir(const std::string& path, unsigned mode) {
  if (::mkdir(path.c_str(), 0700) != 0) {
    struct stat st {};
    if (errno == EEXIST && ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return "";
    return err("mkdir", path);
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return err("open the new folder", path);
  Status s = ::fchmod(fd, static_cast<mode_t>(mode)) == 0 ? "" : err("chmod", path);
  ::close(fd);
  return s;
}

Status clone_file(const std::string& from, const std::string& to, unsigned mode) {
  int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (in < 0) return err("open", from);
  int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (out < 0) {
    Status s = err("create", to);
    ::close(in);
    return s;
  }
  int rc = ::ioctl(out, FICLONE, in);
  int saved = errno;
  if (rc == 0) ::fchmod(out, static_cast<mode_t>(mode));
  ::close(in);
  ::close(out);
  if (rc == 0) return "";
  ::unlink(to.c_str());
  errno = saved;
  // Not this file system's feature (ext4), or across file systems: the caller links or copies.
  if (saved == EOPNOTSUPP || saved == EINVAL || saved == EXDEV || saved == ENOTTY) return k_no_reflink;
  return err("clone " + from + " ->", to);
}

Status set_mode(const std::string& path, unsigned mode) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return err("open", path);
  Status s = ::fchmod(fd, static_cast<mode_t>(mode)) == 0 ? "" : err("chmod", path);
  ::close(fd);
  return s;
}

Status set_mtime(const std::string& path, std::int64_t mtime_ns) {
  struct timespec times[2] = {
      {0, UTIME_OMIT},
      {static_cast<time_t>(mtime_ns / 1000000000), static_cast<long>(mtime_ns % 1000000000)}};
  return ::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) == 0 ? ""
                                                                            : err("utimensat", path);
}

Status rename_replace(const std::string& from, const std::string& to) {
  return ::rename(from.c_str(), to.c_str()) == 0 ? "" : err("rename " + from + " ->", to);
}

Status remove_empty_dir(const std::string& path) {
  return ::rmdir(path.c_str()) == 0 ? "" : err("rmdir", path);
}

} // namespace gpucfg::disk
