#include "probe/host.hpp"

#include "util/os.hpp"
#include "util/process.hpp"
#include "util/trust.hpp"

#include <mutex>
#include <string>

namespace gpucfg::probe {

namespace {
std::mutex g_refused_mutex;
std::vector<std::string> g_refused;
} // namespace

std::vector<std::string> programs_refused() {
  std::lock_guard<std::mutex> lock(g_refused_mutex);
  return g_refused;
}

RunResult run_program(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  // As root, a program another user could have written or replaced (a toolkit's nvcc in their
  // prefix, a Python in a venv they made) is not run: it would run as root. Said, every time.
  if (!argv.empty() && util::is_superuser())
    if (auto why = util::untrusted(argv[0])) {
      std::string msg = argv[0] + " was not run: " + *why +
                        "; as root gpucfg runs only what root and the system own";
      bool refuse = !util::single_user();
      {
        std::lock_guard<std::mutex> lock(g_refused_mutex);
        g_refused.push_back(refuse ? msg : msg + " (run all the same: GPUCFG_SINGLE_USER=1)");
      }
      if (refuse) {
        RunResult r;
        r.output = msg;
        return r;
      }
    }
  util::ProcessOptions o;
  o.timeout = timeout;
  auto p = util::run_process(argv, o);
  RunResult r;
  r.exit_code = p.exit_code;
  r.output = std::move(p.output);
  r.timed_out = p.timed_out;
  return r;
}

std::string join(const std::string& a, const std::string& b) {
  if (b.empty()) return a;
  if (!b.empty() && b[0] == '/') return b;
  if (a.empty() || a.back() == '/') return a + b;
  return a + "/" + b;
}

std::string dirname(const std::string& path) {
  auto pos = path.find_last_of('/');
  if (pos == std::string::npos) return ".";
  if (pos == 0) return "/";
  return path.substr(0, pos);
}

std::string basename(const std::string& path) {
  auto pos = path.find_last_of('/');
  return pos == std::string::npos ? path : path.substr(pos + 1);
}

} // namespace gpucfg::probe
