// fsops on Linux: open/write/fsync, syncfs for a whole tree, rename(2), link(2), symlink(2).
#include "exec/fsops.hpp"
#include "util/sha256.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace gpucfg::exec {

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
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
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
  int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
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

Status rename_replace(const std::string& from, const std::string& to) {
  return ::rename(from.c_str(), to.c_str()) == 0 ? "" : err("rename " + from + " ->", to);
}

Status remove_empty_dir(const std::string& path) {
  return ::rmdir(path.c_str()) == 0 ? "" : err("rmdir", path);
}

} // namespace gpucfg::exec
