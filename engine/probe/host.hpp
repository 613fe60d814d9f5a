// The machine as the probe sees it: every read goes through Host, so `--root DIR` makes the
// whole probe look at a folder (a fake machine in tests, an image being prepared) instead of /.
// Paths given to a Host are machine paths ("/usr/local/cuda"); the Host maps them under its
// root, and symbolic links are followed inside the root (an absolute link target is re-rooted).
// Nothing here writes.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gpucfg::probe {

struct FileStat {
  std::string kind; // file | symlink | dir | other
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  unsigned mode = 0; // permission bits
};

struct RunResult {
  int exit_code = -1; // -1: could not start or timed out
  std::string output; // stdout and stderr together
  bool timed_out = false;
};

class Host {
public:
  virtual ~Host() = default;

  // The folder every path is under ("/" for the live machine).
  virtual const std::string& root() const = 0;
  bool live() const { return root() == "/"; }

  // A file's contents, at most `max_bytes`; nullopt when missing or unreadable.
  virtual std::optional<std::string> read(const std::string& path,
                                          std::size_t max_bytes = 4 << 20) const = 0;
  // Entry names in a folder (not "." or ".."), sorted; empty when missing.
  virtual std::vector<std::string> list(const std::string& dir) const = 0;
  virtual bool is_dir(const std::string& path) const = 0;
  virtual bool is_file(const std::string& path) const = 0;
  virtual bool is_executable(const std::string& path) const = 0;
  // lstat of the last component (links in the folders above are followed); nullopt: absent.
  virtual std::optional<FileStat> lstat(const std::string& path) const = 0;
  // The path on this computer's file system for a machine path (the root joined in front, the
  // folders above the last component resolved), for code that must open it itself.
  virtual std::string host_path(const std::string& path) const = 0;
  // A symbolic link's target as written, or nullopt when `path` is no link.
  virtual std::optional<std::string> read_link(const std::string& path) const = 0;
  // The machine path with every link followed (inside the root); `path` itself when it cannot be
  // resolved (missing, or a link loop).
  virtual std::string resolve(const std::string& path) const = 0;
  // An environment variable of the process gpucfg runs in.
  virtual std::optional<std::string> env(const std::string& name) const = 0;
  // Names of all environment variables starting with `prefix` (CUDA_PATH_V*).
  virtual std::vector<std::string> env_names(const std::string& prefix) const = 0;
  // Runs a program found on this machine (argv[0] is a machine path) with a time limit.
  virtual RunResult run(const std::vector<std::string>& argv,
                        std::chrono::milliseconds timeout) const = 0;
};

// This computer (host_posix.cpp; host_win32.cpp), or the machine under `root`.
std::unique_ptr<Host> make_local_host(const std::string& root = "/");

// Runs `argv` (argv[0] a path on this computer, the root already joined), stdout and stderr
// together, killed at `timeout`: what every Host's run() comes down to. As root, a program
// another user could have written (util/trust.hpp) is not run: exit -1, the output says why,
// and programs_refused() keeps the sentence for the facts' warnings.
RunResult run_program(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);
std::vector<std::string> programs_refused();

// Joins machine paths: ("/usr/local", "cuda/bin") -> "/usr/local/cuda/bin".
std::string join(const std::string& a, const std::string& b);
std::string dirname(const std::string& path);
std::string basename(const std::string& path);

} // namespace gpucfg::probe
