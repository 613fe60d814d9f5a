#include "probe/host.hpp"

#include "util/process.hpp"

#include <string>

namespace gpucfg::probe {

RunResult run_program(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
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
