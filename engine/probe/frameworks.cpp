// --frameworks: each Python interpreter on PATH, and the CUDA/cuDNN its TensorFlow and PyTorch
// were built for. Slow (importing a framework takes seconds), so only on request, and each
// interpreter is bounded by a timeout.
#include "probe/probe.hpp"
#include "util/strings.hpp"

#include <nlohmann/json.hpp>
#include <set>

namespace gpucfg::probe {
namespace {

// Runs inside the interpreter; prints one JSON object. Frameworks are imported only if present.
const char* k_script = R"PY(
import json, sys, importlib.util as u
out = {"python": sys.version.split()[0], "executable": sys.executable}
if u.find_spec("torch"):
    try:
        import torch
        ok = torch.backends.cudnn.is_available()
        out["torch"] = {"version": torch.__version__, "cuda": torch.version.cuda,
                        "cudnn": str(torch.backends.cudnn.version()) if ok else None,
                        "gpu": bool(torch.cuda.is_available())}
    except Exception as e:
        out["torch"] = {"error": repr(e)}
if u.find_spec("tensorflow"):
    try:
        import tensorflow as tf
        b = tf.sysconfig.get_build_info()
        out["tensorflow"] = {"version": tf.__version__, "cuda": b.get("cuda_version"),
                             "cudnn": b.get("cudnn_version"), "gpu": bool(tf.config.list_physical_devices("GPU"))}
    except Exception as e:
        out["tensorflow"] = {"error": repr(e)}
def mapped():
    # The cuDNN and CUDA runtime files this process mapped: which copy the framework really loads.
    found = []
    try:
        for line in open("/proc/self/maps"):
            p = line.split()[-1]
            if ("libcudnn" in p or "libcudart" in p) and p.startswith("/") and p not in found:
                found.append(p)
    except OSError:
        pass
    return found
for fw in ("torch", "tensorflow"):
    if isinstance(out.get(fw), dict) and "error" not in out[fw]:
        out[fw]["libraries"] = mapped()
print(json.dumps(out))
)PY";

std::string str_or_empty(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return {};
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

FrameworkBuild build_of(const std::string& name, const nlohmann::json& j) {
  FrameworkBuild b;
  b.name = name;
  b.version = str_or_empty(j, "version");
  b.cuda = str_or_empty(j, "cuda");
  b.cudnn = str_or_empty(j, "cudnn");
  b.gpu_visible = j.value("gpu", false);
  b.error = str_or_empty(j, "error");
  if (j.contains("libraries") && j["libraries"].is_array())
    for (const auto& l : j["libraries"])
      if (l.is_string()) b.libraries.push_back(l.get<std::string>());
  return b;
}

} // namespace

std::vector<PythonEnv> gather_frameworks(const Host& host, std::chrono::milliseconds timeout) {
  std::vector<PythonEnv> out;
  std::set<std::string> seen, executables;
  std::vector<std::string> names = {"python3", "python"};
  for (int minor = 6; minor <= 14; ++minor)
    names.push_back("python3." + std::to_string(minor));
  // PATH's interpreters, and those of virtual environments where people keep them, active or not.
  std::vector<std::string> dirs = path_dirs(host);
  for (const auto& v : usual_venvs(host))
    dirs.push_back(join(v, "bin"));
  for (const auto& dir : dirs)
    for (const auto& n : names) {
      std::string path = join(dir, n);
      if (!host.is_executable(path) || !seen.insert(host.resolve(path)).second) continue;
      PythonEnv env;
      env.interpreter = path;
      auto r = host.run({path, "-c", k_script}, timeout);
      // The answer is the last line that is a JSON object (imports may print warnings first).
      std::string last;
      for (const auto& line : util::split(r.output, '\n'))
        if (util::starts_with(util::trim(line), "{")) last = util::trim(line);
      auto j = nlohmann::json::parse(last, nullptr, false);
      if (r.timed_out) {
        env.error = "timed out after " + std::to_string(timeout.count()) + " ms";
      } else if (j.is_discarded() || !j.is_object()) {
        continue; // not a working interpreter (a pyenv shim for a version not selected, say)
      } else {
        // Shims and links reach one interpreter by several names: keep the first.
        if (!executables.insert(host.resolve(str_or_empty(j, "executable"))).second) continue;
        env.python_version = str_or_empty(j, "python");
        for (const char* fw : {"torch", "tensorflow"})
          if (j.contains(fw) && j[fw].is_object()) env.builds.push_back(build_of(fw, j[fw]));
      }
      out.push_back(env);
    }
  return out;
}

} // namespace gpucfg::probe
