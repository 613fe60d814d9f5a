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

TEST_CASE("process: env sets variables in the child and replaces one of the same name") {
  ProcessOptions o;
  o.search_path = true;
#ifdef _WIN32
  // Names compare without case on Windows: "path" replaces PATH.
  const std::vector<std::string> show = {"cmd", "/c", "echo [%GPUCFG_T1%] [%PATH%]"};
  o.env = {"GPUCFG_T1=one", "path=C:\\gpucfg-test;C:\\windows\\system32"};
  auto r = run_process(show, o);
  CHECK(r.output.find("[one] [C:\\gpucfg-test;C:\\windows\\system32]") != std::string::npos);
#else
  const std::vector<std::string> show = {"/bin/sh", "-c", "echo \"[$GPUCFG_T1] [$HOME]\""};
  o.env = {"GPUCFG_T1=one", "HOME=/gpucfg-test"};
  auto r = run_process(show, o);
  CHECK(r.output == "[one] [/gpucfg-test]\n");
#endif
  o.env.clear(); // and nothing of it stays for the next child
  CHECK(run_process(show, o).output.find("[one]") == std::string::npos);
}

TEST_CASE("process: with_overrides keeps the rest and the last value of a name") {
  auto v = with_overrides({"A=1", "B=2", "C=3"}, {"B=x", "D=4", "B=y"});
  CHECK(v == std::vector<std::string>{"A=1", "C=3", "D=4", "B=y"});
#ifdef _WIN32
  CHECK(with_overrides({"Path=a"}, {"PATH=b"}) == std::vector<std::string>{"PATH=b"});
#else
  CHECK(with_overrides({"Path=a"}, {"PATH=b"}) == std::vector<std::string>{"Path=a", "PATH=b"});
#endif
}
