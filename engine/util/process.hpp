// Running a program and collecting what it prints, the same on every platform: with a time
// limit (the program is killed when it passes), its output captured (stdout and stderr together,
// capped), passed to gpucfg's stderr, or dropped; stdin is always empty. The halves are
// util/process_posix.cpp (posix_spawn, poll) and util/process_win32.cpp (CreateProcessW with
// its command line quoted as the C runtime parses it, a reader thread, TerminateProcess).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace gpucfg::util {

enum class Output { capture, to_stderr, discard };

struct ProcessOptions {
  std::chrono::milliseconds timeout{0}; // 0: as long as it takes
  Output out = Output::capture, err = Output::capture;
  bool search_path = false;          // argv[0] is looked up on PATH
  std::size_t max_output = 1u << 20; // captured bytes kept; the rest is read and dropped
  // "NAME=value" set in the child on top of child_environment() (a workload's PATH on Windows,
  // where a program's DLLs are found along PATH and there is no run path).
  std::vector<std::string> env;
};

struct ProcessResult {
  bool started = false;
  bool timed_out = false;
  int exit_code = -1; // -1: did not start, was killed, or died of a signal
  std::string output;
};

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& o = {});

// The environment a child gets. As root, only an allowlist of the caller's variables passes
// (PATH, HOME, USER, LOGNAME, SHELL, TERM, TZ, TMPDIR, LANG, LANGUAGE, LC_*, the proxy and
// certificate variables, CUDA_VISIBLE_DEVICES, CUDA_DEVICE_ORDER, NVIDIA_VISIBLE_DEVICES,
// NVIDIA_DRIVER_CAPABILITIES, NO_COLOR): nothing like LD_PRELOAD, PYTHONPATH, PIP_* or
// NVCC_PREPEND_FLAGS reaches nvcc, pip, an interpreter or a workload run as root. As another
// user, everything passes (such a child can do no more than its caller). "NAME=value" strings.
std::vector<std::string> child_environment();
// `base` with each "NAME=value" of `overrides` in place of the variable of that name (names
// compared as the platform does: exactly on POSIX, ignoring case on Windows).
std::vector<std::string> with_overrides(std::vector<std::string> base,
                                        const std::vector<std::string>& overrides);
bool allowed_for_children(const std::string& name);

// The programs the executor runs (ldconfig; an environment's interpreter), behind an interface
// so in-process tests record them instead (ninja's CommandRunner).
class ProcessRunner {
public:
  virtual ~ProcessRunner() = default;
  virtual ProcessResult run(const std::vector<std::string>& argv, const ProcessOptions& o) = 0;
};

// run_process.
class SystemRunner : public ProcessRunner {
public:
  ProcessResult run(const std::vector<std::string>& argv, const ProcessOptions& o) override {
    return run_process(argv, o);
  }
};

// A worker fed through its standard input as work arrives (its output is dropped): `write`
// sends, `finish` ends its input and waits for it. A write to a worker that died fails instead
// of killing gpucfg (a socket with MSG_NOSIGNAL; Windows pipes raise no signal).
class FedProcess {
public:
  explicit FedProcess(const std::vector<std::string>& argv);
  FedProcess(const FedProcess&) = delete;
  FedProcess& operator=(const FedProcess&) = delete;
  ~FedProcess() { finish(); }
  bool started() const { return m_process != -1; }
  bool write(const std::string& data);
  void finish();

private:
  std::intptr_t m_process = -1, m_input = -1; // pid and socket; process and pipe handles
};

} // namespace gpucfg::util
