// The Linux Host: machine paths are POSIX paths under the root, links resolved inside it.
#include "probe/host.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <mutex>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_map>

extern char** environ;

namespace gpucfg::probe {

namespace fs = std::filesystem;

namespace {

class LocalHost final : public Host {
public:
  explicit LocalHost(std::string root) : m_root(root.empty() ? "/" : std::move(root)) {
    while (m_root.size() > 1 && m_root.back() == '/')
      m_root.pop_back();
  }

  const std::string& root() const override { return m_root; }

  std::optional<std::string> read(const std::string& path, std::size_t max_bytes) const override {
    // Plain read(2) in chunks: procfs files report size 0, and libstdc++'s ifstream gets
    // nothing from a sysctl file when asked for megabytes at once.
    int fd = ::open(real(resolve(path)).c_str(),
                    O_RDONLY | O_CLOEXEC | O_NONBLOCK); // a FIFO must not hang us
    if (fd < 0) return std::nullopt;
    std::string text;
    char buf[65536];
    while (text.size() < max_bytes) {
      ssize_t n = ::read(fd, buf, std::min(sizeof buf, max_bytes - text.size()));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      text.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return text;
  }

  std::vector<std::string> list(const std::string& dir) const override {
    std::vector<std::string> out;
    std::error_code ec;
    for (fs::directory_iterator it(real(resolve(dir)), ec), end; !ec && it != end; it.increment(ec))
      out.push_back(it->path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }

  bool is_dir(const std::string& path) const override { return stat_mode(path, S_IFDIR); }
  bool is_file(const std::string& path) const override { return stat_mode(path, S_IFREG); }
  bool is_executable(const std::string& path) const override {
    return is_file(path) && ::access(real(resolve(path)).c_str(), X_OK) == 0;
  }

  std::optional<FileStat> lstat(const std::string& path) const override {
    struct stat st {};
    if (::lstat(host_path(path).c_str(), &st) != 0) return std::nullopt;
    FileStat f;
    switch (st.st_mode & S_IFMT) {
    case S_IFREG:
      f.kind = "file";
      break;
    case S_IFLNK:
      f.kind = "symlink";
      break;
    case S_IFDIR:
      f.kind = "dir";
      break;
    default:
      f.kind = "other";
    }
    f.size = static_cast<std::uint64_t>(st.st_size);
    f.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    f.mode = st.st_mode & 07777;
    return f;
  }

  std::string host_path(const std::string& path) const override {
    std::string dir = resolve(dirname(path));
    return real(join(dir, basename(path)));
  }

  std::optional<std::string> read_link(const std::string& path) const override {
    char buf[4096];
    ssize_t n = ::readlink(real(path).c_str(), buf, sizeof buf - 1);
    if (n < 0) return std::nullopt;
    return std::string(buf, static_cast<std::size_t>(n));
  }

  std::string resolve(const std::string& path) const override {
    // Walk component by component so links resolve inside the root, as chroot would.
    std::vector<std::string> todo, done;
    auto push = [&](const std::string& p) {
      std::vector<std::string> parts = util::path_parts(p);
      todo.insert(todo.end(), parts.rbegin(), parts.rend());
    };
    push(path);
    int links = 0;
    while (!todo.empty()) {
      std::string part = todo.back();
      todo.pop_back();
      if (part == ".") continue;
      if (part == "..") {
        if (!done.empty()) done.pop_back();
        continue;
      }
      std::string current = "/";
      for (const auto& d : done)
        current = join(current, d);
      std::string next = join(current, part);
      if (auto target = link_of(next)) {
        if (++links > 40) return path; // a loop
        if (!target->empty() && (*target)[0] == '/') done.clear();
        push(*target);
        continue;
      }
      done.push_back(part);
    }
    std::string out = "/";
    for (const auto& d : done)
      out = join(out, d);
    return out;
  }

  std::optional<std::string> env(const std::string& name) const override {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  }

  std::vector<std::string> env_names(const std::string& prefix) const override {
    std::vector<std::string> out;
    for (char** e = environ; e && *e; ++e) {
      std::string kv(*e);
      std::string name = kv.substr(0, kv.find('='));
      if (name.rfind(prefix, 0) == 0) out.push_back(name);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  RunResult run(const std::vector<std::string>& argv,
                std::chrono::milliseconds timeout) const override {
    if (argv.empty()) return {};
    std::vector<std::string> copy = argv;
    copy[0] = real(argv[0]);
    return run_program(copy, timeout);
  }

private:
  // read_link, remembered: resolve() asks of every component of every path (a plan asks of
  // /usr, /usr/local, … over a thousand times), and a Host serves one phase of a run that
  // changes nothing while it reads (gather, observe, verify each make their own).
  std::optional<std::string> link_of(const std::string& path) const {
    std::lock_guard<std::mutex> lock(m_links_mu);
    auto it = m_links.find(path);
    if (it != m_links.end()) return it->second;
    return m_links[path] = read_link(path);
  }

  // The path on the real file system for a machine path.
  std::string real(const std::string& path) const { return m_root == "/" ? path : m_root + path; }

  bool stat_mode(const std::string& path, mode_t kind) const {
    struct stat st {};
    if (::stat(real(resolve(path)).c_str(), &st) != 0) return false;
    return (st.st_mode & S_IFMT) == kind;
  }

  std::string m_root;
  mutable std::mutex m_links_mu;
  mutable std::unordered_map<std::string, std::optional<std::string>> m_links;
};

} // namespace

std::unique_ptr<Host> make_local_host(const std::string& root) {
  return std::make_unique<LocalHost>(root);
}

} // namespace gpucfg::probe
