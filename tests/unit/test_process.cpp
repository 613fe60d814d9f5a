// util::run_process on this platform: Linux through /bin/sh; the Windows build runs the same
// cases under Wine through cmd.exe (CreateProcessW, its quoting, TerminateProcess).
#include "util/process.hpp"

#include <catch2/catch.hpp>

using namespace gpucfg::util;
using namespace std::chrono;

namespace {
#ifdef _WIN32
const std::vector<std::string> k_both = {"cmd", "/c", "echo out& echo err 1>&2& exit 3"};
const std::vector<std::string> k_forever = {"cmd", "/c", "for /L %i in (1,0,2) do @rem"};
const std::vector<std::string> k_spaces = {"cmd", "/c", "echo", "a b"};
const char* k_spaces_out = "\"a b\"";
#else
const std::vector<std::string> k_both = {"/bin/sh", "-c", "echo out; echo err >&2; exit 3"};
const std::vector<std::string> k_forever = {"/bin/sh", "-c", "while :; do sleep 1; done"};
const std::vector<std::string> k_spaces = {"/bin/sh", "-c", "printf '<%s>' \"$0\"", "a b"};
const char* k_spaces_out = "<a b>";
#endif
} // namespace

TEST_CASE("process: output captured, exit code kept") {
  ProcessOptions o;
  o.search_path = true;
  auto r = run_process(k_both, o);
  CHECK(r.started);
  CHECK_FALSE(r.timed_out);
  CHECK(r.exit_code == 3);
  CHECK(r.output.find("out") != std::string::npos);
  CHECK(r.output.find("err") != std::string::npos);
  o.err = Output::discard;
  r = run_process(k_both, o);
  CHECK(r.output.find("err") == std::string::npos);
  CHECK(r.output.find("out") != std::string::npos);
}

TEST_CASE("process: an argument with a space arrives as one") {
  ProcessOptions o;
  o.search_path = true;
  auto r = run_process(k_spaces, o);
  CHECK(r.exit_code == 0);
  CHECK(r.output.find(k_spaces_out) != std::string::npos);
}

TEST_CASE("process: killed at its time limit; a missing program does not start") {
  ProcessOptions o;
  o.search_path = true;
  o.timeout = milliseconds(300);
  auto t0 = steady_clock::now();
  auto r = run_process(k_forever, o);
  CHECK(r.started);
  CHECK(r.timed_out);
  CHECK(r.exit_code == -1);
  CHECK(steady_clock::now() - t0 < seconds(10));
  o.out = o.err = Output::discard; // no pipe to read: the wait itself is limited
  r = run_process(k_forever, o);
  CHECK(r.timed_out);
  auto missing = run_process({"/nonexistent/gpucfg-no-such-program"}, ProcessOptions{});
  CHECK_FALSE(missing.started);
  CHECK(missing.exit_code == -1);
}
