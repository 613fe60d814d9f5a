#include "probe/parsers.hpp"
#include "probe/probe.hpp"
#include "util/strings.hpp"
#include "verify/verifier.hpp"

#include <chrono>
#include <csignal>
#include <cstring>
#include <dlfcn.h>
#include <functional>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace gpucfg::verify::detail {

namespace {

// Reads a child's output from `fd` (up to 1 MiB kept) until it closes it or `timeout` passes,
// when the child `pid` is killed; closes `fd`. False when it ran out of time. The caller reaps.
bool read_child(int pid, int fd, std::chrono::milliseconds timeout, std::string* out) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  bool in_time = true;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      in_time = false;
      ::kill(pid, SIGKILL);
      break;
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    if (out->size() < (1 << 20)) out->append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return in_time;
}

// Runs `probe` in a forked child and returns the JSON it wrote back. A library whose loading
// crashes (a cuDNN sub-library that lacks a symbol aborts the process) takes the child down, not
// gpucfg: *why then says how it died.
std::optional<nlohmann::json> in_child(const std::function<nlohmann::json()>& probe, int timeout_s,
                                       std::string* why) {
  int fds[2];
  if (::pipe(fds) != 0) return *why = "pipe failed", std::nullopt;
  pid_t pid = ::fork();
  if (pid < 0) return *why = "fork failed", std::nullopt;
  if (pid == 0) {
    ::close(fds[0]);
    std::string out = probe().dump();
    for (std::size_t done = 0; done < out.size();) {
      ssize_t n = ::write(fds[1], out.data() + done, out.size() - done);
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string text;
  bool timed_out = !read_child(pid, fds[0], std::chrono::seconds(timeout_s), &text);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (timed_out) return *why = "timed out after " + std::to_string(timeout_s) + " s", std::nullopt;
  if (WIFSIGNALED(status))
    return *why =
               std::string("loading it killed the process (") + ::strsignal(WTERMSIG(status)) + ")",
           std::nullopt;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return *why = "the loading process reported nothing", std::nullopt;
  return j;
}

// In the child: dlopen the library and ask it what it is.
nlohmann::json load_and_ask(const std::string& path, const std::string& stem) {
  nlohmann::json j = {{"path", path}};
  void* h = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char* e = ::dlerror();
    j["error"] = e ? e : "dlopen failed";
    return j;
  }
  if (stem == "libcudnn") {
    using GetVersion = std::size_t (*)();
    if (auto fn = reinterpret_cast<GetVersion>(::dlsym(h, "cudnnGetVersion")))
      j["cudnn_version"] = fn();
  }
  if (stem == "libcudart") {
    using Ver = int (*)(int*);
    int rt = 0, drv = 0;
    auto runtime = reinterpret_cast<Ver>(::dlsym(h, "cudaRuntimeGetVersion"));
    auto driver = reinterpret_cast<Ver>(::dlsym(h, "cudaDriverGetVersion"));
    if (runtime) runtime(&rt);
    if (driver) driver(&drv);
    j["runtime"] = rt;
    j["driver"] = drv;
  }
  return j;
}

// cudnnGetVersion: 8.x is major*1000+minor*100+patch, 9.x major*10000+minor*100+patch.
std::string cudnn_runtime(std::size_t rv) {
  std::size_t major = rv >= 90000 ? rv / 10000 : rv / 1000;
  std::size_t minor = rv >= 90000 ? (rv / 100) % 100 : (rv / 100) % 10;
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(rv % 100);
}

} // namespace

void Verifier::load_level() {
  std::vector<std::string> stems = {"libcudart"};
  if (promises("cublas")) stems.push_back("libcublas");
  if (s.cudnn) stems.push_back("libcudnn");
  if (!host.live()) {
    for (const auto& stem : stems)
      not_run("load", "load " + stem, "under --root: this computer's loader is not the root's");
    return;
  }
  for (const auto& stem : stems) {
    std::vector<std::string> dirs = stem == "libcudnn" ? lib_dirs(host, s.cudnn->prefix.value)
                                                       : std::vector<std::string>{libdir};
    std::string so, dir = dirs.empty() ? libdir : dirs.front();
    for (const auto& d : dirs)
      for (const auto& f : host.list(d))
        if (so.empty() && probe::library_stem(f) == stem && is_soname(f)) {
          so = f;
          dir = d;
        }
    std::string check = "load " + stem;
    if (so.empty()) {
      add("load", check, false, "no " + stem + ".so.N in " + dir);
      continue;
    }
    std::string path = dir + "/" + so, why;
    auto j = in_child([&] { return load_and_ask(path, stem); }, o.timeout_s, &why);
    if (!j) {
      add("load", check, false, path + ": " + why);
      continue;
    }
    if (j->contains("error")) {
      add("load", check, false, "dlopen failed: " + j->value("error", std::string()));
      continue;
    }
    std::string detail = "loaded " + path;
    bool ok = true;
    if (stem == "libcudnn") {
      if (!j->contains("cudnn_version")) {
        ok = false;
        detail += ", but it has no cudnnGetVersion: not a cuDNN library";
      } else {
        std::string runtime = cudnn_runtime(j->value("cudnn_version", std::size_t{0}));
        (*j)["runtime_version"] = runtime;
        auto v = util::Version::parse(runtime);
        ok = v && v->has_prefix(s.cudnn->version.value.truncated(3));
        detail += ", cudnnGetVersion() = " + runtime +
                  (ok ? "" : ", not the manifest's " + s.cudnn->version.value.str());
      }
    }
    add("load", check, ok, detail, *j);
    if (stem == "libcudart") {
      int rt = j->value("runtime", 0), drv = j->value("driver", 0);
      // Without a driver there is nothing to compare the runtime with: not-run, not a pass.
      if (!drv)
        not_run("load", "runtime vs driver",
                "runtime " + std::to_string(rt) +
                    "; no NVIDIA driver answered, so nothing to "
                    "compare it with");
      else
        add("load", "runtime vs driver", drv >= rt,
            "runtime " + std::to_string(rt) + ", driver supports " + std::to_string(drv) +
                (drv >= rt ? "" : ": the driver is older than the runtime"));
    }
  }
}

} // namespace gpucfg::verify::detail
