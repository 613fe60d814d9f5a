#include "util/process.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace gpucfg::util {

namespace {
// The child's environment as posix_spawn takes it: pointers into `strings`, null-terminated.
struct ChildEnv {
  std::vector<std::string> strings;
  std::vector<char*> pointers;
  explicit ChildEnv(const std::vector<std::string>& overrides)
      : strings(with_overrides(child_environment(), overrides)) {
    for (auto& e : strings)
      pointers.push_back(e.data());
    pointers.push_back(nullptr);
  }
  char** get() { return pointers.data(); }
};

// posix_spawn's argv: pointers into `strings`, null-terminated.
std::vector<char*> c_argv(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& a : strings)
    out.push_back(a.data());
  out.push_back(nullptr);
  return out;
}
} // namespace

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& o) {
  ProcessResult r;
  if (argv.empty()) return r;
  int pipefd[2] = {-1, -1};
  bool capture = o.out == Output::capture || o.err == Output::capture;
  if (capture && ::pipe2(pipefd, O_CLOEXEC) != 0) return r;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  auto route = [&](Output where, int fd) {
    if (where == Output::capture) posix_spawn_file_actions_adddup2(&actions, pipefd[1], fd);
    if (where == Output::to_stderr && fd != 2) posix_spawn_file_actions_adddup2(&actions, 2, fd);
    if (where == Output::discard)
      posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_WRONLY, 0);
  };
  route(o.out, 1);
  route(o.err, 2);
  std::vector<std::string> copy = argv;
  std::vector<char*> args = c_argv(copy);
  pid_t pid = 0;
  ChildEnv env(o.env);
  int rc = o.search_path ? ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), env.get())
                         : ::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), env.get());
  posix_spawn_file_actions_destroy(&actions);
  if (capture) ::close(pipefd[1]);
  if (rc != 0) {
    if (capture) ::close(pipefd[0]);
    return r;
  }
  r.started = true;
  auto deadline = std::chrono::steady_clock::now() + o.timeout;
  bool killed = false;
  if (capture) {
    char buf[65536];
    for (;;) {
      int wait_ms = -1;
      if (o.timeout.count() > 0) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
          ::kill(pid, SIGKILL);
          killed = true;
          break;
        }
        wait_ms = static_cast<int>(left.count());
      }
      pollfd p{pipefd[0], POLLIN, 0};
      if (::poll(&p, 1, wait_ms) <= 0) continue;
      ssize_t n = ::read(pipefd[0], buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      std::size_t keep = std::min(static_cast<std::size_t>(n), o.max_output - r.output.size());
      r.output.append(buf, keep);
    }
    ::close(pipefd[0]);
  }
  int status = 0;
  bool reaped = false;
  if (!capture && o.timeout.count() > 0) {
    // Nothing to read: poll the child until it exits or its time is up.
    for (;;) {
      pid_t w = ::waitpid(pid, &status, WNOHANG);
      if (w == pid) {
        reaped = true;
        break;
      }
      if (w < 0 && errno != EINTR) break;
      if (std::chrono::steady_clock::now() >= deadline) {
        ::kill(pid, SIGKILL);
        killed = true;
        break;
      }
      ::usleep(2000);
    }
  }
  if (!reaped)
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  r.timed_out = killed;
  if (!killed && WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  return r;
}

FedProcess::FedProcess(const std::vector<std::string>& argv) {
  int sv[2];
  if (argv.empty() || ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, sv[1], 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  std::vector<std::string> copy = argv;
  std::vector<char*> args = c_argv(copy);
  pid_t pid = 0;
  ChildEnv env({});
  int rc = ::posix_spawn(&pid, args[0], &fa, nullptr, args.data(), env.get());
  posix_spawn_file_actions_destroy(&fa);
  ::close(sv[1]);
  if (rc != 0) {
    ::close(sv[0]);
    return;
  }
  m_process = pid;
  m_input = sv[0];
}

std::vector<std::string> child_environment() {
  std::vector<std::string> out;
  bool root = ::geteuid() == 0;
  for (char** e = environ; e && *e; ++e) {
    std::string kv = *e;
    if (!root || allowed_for_children(kv.substr(0, kv.find('=')))) out.push_back(kv);
  }
  return out;
}

bool FedProcess::write(const std::string& data) {
  if (m_input == -1) return false;
  for (std::size_t off = 0; off < data.size();) {
    ssize_t n =
        ::send(static_cast<int>(m_input), data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<std::size_t>(n);
  }
  return true;
}

void FedProcess::finish() {
  if (m_input != -1) ::close(static_cast<int>(m_input));
  m_input = -1;
  if (m_process != -1) {
    int status = 0;
    while (::waitpid(static_cast<pid_t>(m_process), &status, 0) < 0 && errno == EINTR) {
    }
  }
  m_process = -1;
}

} // namespace gpucfg::util
