// Running a program and collecting what it prints, the same on every platform: with a time
// limit (the program is killed when it passes), its output captured (stdout and stderr together,
// capped), passed to gpucfg's stderr, or dropped; stdin is always empty. The halves are
// util/process_posix.cpp (posix_spawn, poll) and util/process_win32.cpp (CreateProcessW with
// its command line quoted as the C runtime parses it, a reader thread, TerminateProcess).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace gpucfg::util {

enum class Output { capture, to_stderr, discard };

struct ProcessOptions {
  std::chrono::milliseconds timeout{0}; // 0: as long as it takes
  Output out = Output::capture, err = Output::capture;
  bool search_path = false;          // argv[0] is looked up on PATH
  std::size_t max_output = 1u << 20; // captured bytes kept; the rest is read and dropped
};

struct ProcessResult {
  bool started = false;
  bool timed_out = false;
  int exit_code = -1; // -1: did not start, was killed, or died of a signal
  std::string output;
};

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& o = {});

} // namespace gpucfg::util
