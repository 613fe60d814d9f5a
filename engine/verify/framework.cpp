#include "probe/parsers.hpp"
#include "probe/probe.hpp"
#include "pyenv/lock.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"
#include "verify/verifier.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace gpucfg::verify::detail {

namespace fs = std::filesystem;

// Inside the manifest's environment when it has one (else the first python3 on PATH): the
// seed's checks, then which CUDA/cuDNN files the process mapped, against the manifest's.
void Verifier::framework_level() {
  // verify.framework names the smoke test; without it, the framework the manifest installs.
  std::string fw = s.verify.framework ? s.verify.framework->value
                   : s.framework      ? s.framework->name
                                      : "";
  if (fw.empty())
    return not_run("framework", "framework",
                   "the manifest names no framework (framework: or verify.framework)");
  std::string python, env_dir;
  if (s.python) {
    // On Windows no link names the environment (plan/desired_env.cpp): the built folder itself.
    std::string env = s.python->env.value;
    if (windows && !s.python->adopted()) env = pyenv::decide(s, pyenv::interpreters(facts)).dir;
    env_dir = host.host_path(host.resolve(env));
    python = env_dir + (windows ? "/Scripts/python.exe" : "/bin/python");
    if (env.empty() || !fs::exists(python))
      return add("framework", fw, false,
                 "no environment at " + (env.empty() ? s.python->env.value : env) +
                     (s.python->adopted() ? " (python.adopt: the manifest takes it as it is)"
                                          : " (gpucfg apply builds it)"));
  } else if (auto p = probe::which(host, windows ? "python.exe" : "python3")) {
    python = host.host_path(*p);
  } else {
    return not_run("framework", fw,
                   std::string("no ") + (windows ? "python.exe" : "python3") +
                       " on PATH and no python: section");
  }
  bool gpu = facts.driver.present && !facts.driver.gpus.empty();
  std::vector<std::string> argv = {python, "-I", o.kernels_dir + "/framework_check.py", fw,
                                   gpu ? "1" : "0"};
  probe::RunResult r;
  if (windows) {
    r = run_on_stack_path(argv, {}); // DLLs are found along PATH, as for the workloads
  } else {
    // Under --root the loader cache is this computer's, not the root's: the manifest's loader
    // paths are given to the process as LD_LIBRARY_PATH, as the root's own cache would.
    // LD_LIBRARY_PATH stays first, as the loader searches it before its cache.
    std::string ld = host.env("LD_LIBRARY_PATH").value_or("");
    if (!host.live())
      for (const auto& p : s.loader_paths)
        ld += (ld.empty() ? "" : ":") + host.host_path(p.value);
    argv.insert(argv.begin(), {"/usr/bin/env", "LD_LIBRARY_PATH=" + ld});
    r = probe::make_local_host("/")->run(argv, std::chrono::seconds(o.timeout_s));
  }
  bool any = false;
  for (const auto& line : util::split(r.output, '\n')) {
    if (!util::starts_with(line, "RESULT ")) continue;
    auto j = nlohmann::json::parse(line.substr(7), nullptr, false);
    if (!j.is_object()) continue;
    any = true;
    std::string check = j.value("check", "?");
    if (check == "libraries mapped") {
      mapped_libraries(j.value("libraries", std::vector<std::string>{}), env_dir, fw);
      continue;
    }
    report.results.push_back(
        {"framework", fw + ": " + check, j.value("outcome", "fail"), j.value("detail", ""), j});
  }
  if (!any)
    add("framework", fw, false,
        r.timed_out ? "timed out"
                    : python + " gave no result (exit " + std::to_string(r.exit_code) +
                          "): " + util::trim(r.output).substr(0, 600));
}

// The classic failure: a framework that loads another copy of cuDNN or the CUDA runtime than
// the stack's. Each mapped file must lie in the stack's toolkit, its cuDNN prefix or the
// environment (PyTorch's wheels bring their own), and a mapped cuDNN must be the manifest's.
void Verifier::mapped_libraries(const std::vector<std::string>& libs, const std::string& env_dir,
                                const std::string& fw) {
  // Windows paths compare with either separator and in any case.
  auto comparable = [&](const std::string& p) {
    return windows ? util::ascii_lower(util::forward_slashes(p)) : p;
  };
  // Where each may come from: cuDNN from the manifest's cuDNN (else its toolkit), the runtime
  // from its toolkit; only a stack with neither (PyTorch's wheels bundle both) takes them
  // from the environment.
  auto home = [&](const std::string& kind) -> std::string {
    std::string at = kind == "cudnn" && s.cudnn ? host.host_path(s.cudnn->prefix.value)
                     : s.cuda                   ? host.host_path(s.cuda->prefix.value)
                                                : env_dir;
    if (at.empty()) return "";
    std::error_code ec;
    auto c = fs::canonical(at, ec);
    return comparable(ec ? at + "/" : c.string() + "/");
  };
  for (const char* kind : {"cudnn", "cudart"}) {
    std::vector<std::string> found;
    for (const auto& l : libs) {
      std::string name = l.substr(l.find_last_of("/\\") + 1);
      bool is_kind = util::starts_with(name, std::string("lib") + kind + ".so") ||
                     util::starts_with(name, std::string(kind) + "64");
      if (is_kind) found.push_back(l);
    }
    std::string check = fw + ": " + kind + " mapped";
    if (found.empty()) {
      not_run("framework", check,
              fw == "tensorflow"
                  ? "TensorFlow loads CUDA and cuDNN only once it finds a GPU; none was mapped"
                  : "no lib" + std::string(kind) + " was mapped by the process");
      continue;
    }
    std::string want = home(kind);
    for (const auto& l : found) {
      if (want.empty()) {
        not_run("framework", check,
                l + ": the manifest names no toolkit, cuDNN or environment "
                    "to compare it with");
        continue;
      }
      bool ours = util::starts_with(comparable(l), want);
      std::string detail = l;
      bool ok = ours;
      if (!ours) detail += ", which is not the stack's (" + want + ")";
      if (ours && std::string(kind) == "cudnn" && s.cudnn) {
        auto v =
            util::Version::parse(probe::library_name_version(l.substr(l.find_last_of("/\\") + 1)));
        if (v && !agrees(*v, s.cudnn->version.value)) {
          ok = false;
          detail += ": cuDNN " + v->str() + ", not the manifest's " + s.cudnn->version.value.str();
        }
      }
      add("framework", check, ok, detail, {{"library", l}});
    }
  }
}

} // namespace gpucfg::verify::detail
