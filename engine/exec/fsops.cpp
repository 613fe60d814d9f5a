#include "exec/fsops.hpp"

#include "util/sha256.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace gpucfg::exec {

namespace fs = std::filesystem;

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

Status fsync_parent(const std::string& path) {
  return fsync_path(fs::path(path).parent_path().string());
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

Status copy_tree(const std::string& from, const std::string& to) {
  std::error_code ec;
  fs::create_directories(to, ec);
  if (ec) return "mkdir " + to + ": " + ec.message();
  for (fs::recursive_directory_iterator it(from, ec), end; !ec && it != end; it.increment(ec)) {
    fs::path rel =
        it->path().lexically_relative(from); // lexical: links inside must not be followed
    fs::path dest = fs::path(to) / rel;
    auto st = it->symlink_status();
    if (fs::is_symlink(st)) {
      fs::create_symlink(fs::read_symlink(it->path()), dest, ec);
    } else if (fs::is_directory(st)) {
      fs::create_directories(dest, ec);
    } else if (fs::is_regular_file(st)) {
      unsigned mode = static_cast<unsigned>(st.permissions()) & 07777u;
      if (Status s = copy_file(it->path().string(), dest.string(), mode, nullptr); !s.empty())
        return s;
    }
    if (ec) return "copy " + it->path().string() + ": " + ec.message();
  }
  return ec ? "copy " + from + ": " + ec.message() : "";
}

Status fsync_tree(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return err("open", path);
  int rc = ::syncfs(fd);
  ::close(fd);
  return rc == 0 ? "" : err("syncfs", path);
}

Status remove_tree(const std::string& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
  return ec ? "remove " + path + ": " + ec.message() : "";
}

Status make_dirs(const std::string& path, std::vector<std::string>* created) {
  std::vector<fs::path> missing;
  for (fs::path p = path; !p.empty() && p != p.root_path() && !exists(p.string());
       p = p.parent_path())
    missing.push_back(p);
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), 0755) != 0 && errno != EEXIST) return err("mkdir", it->string());
    if (created) created->push_back(it->string());
  }
  return "";
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

std::optional<std::string> read_text(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string out;
  char buf[65536];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;)
    out.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return out;
}

Status write_atomic(const std::string& path, const std::string& data) {
  std::string tmp = path + ".tmp";
  if (Status s = write_file(tmp, data, 0644); !s.empty()) return s;
  if (::rename(tmp.c_str(), path.c_str()) != 0) return err("rename", tmp);
  return fsync_parent(path);
}

} // namespace gpucfg::exec
