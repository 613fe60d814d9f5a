#include "session/git.hpp"

#include "source/archive.hpp"
#include "util/strings.hpp"

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace gpucfg::session {

int git(const std::vector<std::string>& args, std::string* out) {
  std::error_code ec;
  std::string file = (fs::temp_directory_path(ec) / "gpucfg-git-XXXXXX").string();
  int fd = ::mkstemp(file.data());
  if (fd < 0) return -1;
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fd);
    ::unlink(file.c_str());
    return -1;
  }
  if (pid == 0) {
    int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null < 0 || ::dup2(fd, 1) < 0 || ::dup2(null, 2) < 0) ::_exit(127);
    std::vector<char*> argv{const_cast<char*>("git")};
    for (const auto& a : args)
      argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execvp("git", argv.data());
    ::_exit(127);
  }
  ::close(fd);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (out) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    *out = ss.str();
  }
  ::unlink(file.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

ScratchDir::ScratchDir(const std::string& prefix) {
  std::error_code ec;
  std::string dir = (fs::temp_directory_path(ec) / (prefix + "-XXXXXX")).string();
  if (::mkdtemp(dir.data())) m_path = dir;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  if (!m_path.empty()) fs::remove_all(m_path, ec);
}

std::string git_top() {
  std::string out;
  if (git({"rev-parse", "--show-toplevel"}, &out) != 0) return "";
  return util::trim(out);
}

std::string git_export(const std::string& rev, const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  std::string tar = dir + ".tar";
  std::string data;
  if (git({"archive", "--format=tar", rev}, &data) != 0)
    return "git archive " + rev + " failed (not inside a git repository, or no such revision)";
  {
    std::ofstream f(tar, std::ios::binary);
    f << data;
  }
  source::ExtractOptions o;
  o.layout = source::Layout::plain;
  auto r = source::extract(tar, dir, o);
  fs::remove(tar, ec);
  return r.error;
}

} // namespace gpucfg::session
