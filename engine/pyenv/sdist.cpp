#include "pyenv/sdist.hpp"

#include "platform/platform.hpp"
#include "probe/host.hpp"
#include "pyenv/lock.hpp"
#include "source/archive.hpp"
#include "source/fetch.hpp"
#include "util/os.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

namespace gpucfg::pyenv {

namespace fs = std::filesystem;

namespace {

// The PEP 517 front end, run by the build environment's own interpreter inside the unpacked
// sdist: the backend pyproject.toml names (read without a TOML parser, which Python 3.6 lacks),
// else setuptools' legacy one for a setup.py project. Written for every Python 3 gpucfg serves.
constexpr const char* k_frontend = R"PY(
import os, re, sys
src, out = sys.argv[1], sys.argv[2]
os.chdir(src)
sys.path.insert(0, src)
backend = "setuptools.build_meta:__legacy__"
if os.path.exists("pyproject.toml"):
    with open("pyproject.toml") as f:
        m = re.search(r"^\s*build-backend\s*=\s*[\"']([^\"']+)[\"']", f.read(), re.M)
    if m:
        backend = m.group(1)
module, _, attr = backend.partition(":")
hooks = __import__(module, fromlist=["_"])
for part in filter(None, attr.split(".")):
    hooks = getattr(hooks, part)
print(hooks.build_wheel(out))
)PY";

source::Artifact wheel_artifact(const source::Artifact& sdist, const std::string& path,
                                const std::string& sha256) {
  source::Artifact a;
  a.file = a.mirror_path = fs::path(path).filename().string();
  a.name = sdist.name + " (built from " + sdist.file + ")";
  a.component = sdist.component;
  a.sha256 = sha256;
  a.layout = "python";
  a.locations = {path};
  a.available = "file";
  return a;
}

// The wheel built from `sdist`, from the store or built now into it.
std::optional<source::Artifact> built_wheel(store::Store& st, const source::Artifact& sdist,
                                            const std::vector<source::Artifact>& requires_,
                                            const std::string& python, const std::string& tag,
                                            const BuildOptions& o, std::string* error) {
  // What the wheel is made from and by: the sdist, the build wheels, the interpreter's tag and
  // the platform. The same inputs find the wheel built before.
  std::string inputs = "sdist\n" + sdist.sha256 + "\n" + tag + "\n" + platform::host().id();
  for (const auto& r : requires_)
    inputs += "\n" + r.sha256;
  std::string key = util::sha256_hex(inputs);
  std::string dir = st.dir() + "/built/" + key;
  std::ifstream kept(dir + "/wheel.json");
  auto record = nlohmann::json::parse(kept, nullptr, false);
  if (!record.is_discarded()) {
    std::string path = dir + "/" + record.value("file", "");
    std::string sha = record.value("sha256", "");
    if (util::sha256_file(path).value_or("") == sha && !sha.empty())
      return wheel_artifact(sdist, path, sha);
  }
  if (requires_.empty()) {
    *error = sdist.file + ": the lock names no build requirements to build it with";
    return std::nullopt;
  }
  std::string tmp =
      st.tmp_dir() + "/sdist-" + key.substr(0, 16) + "-" + std::to_string(util::process_id());
  std::error_code ec;
  fs::remove_all(tmp, ec);
  struct Cleanup {
    std::string path;
    ~Cleanup() {
      std::error_code e;
      fs::remove_all(path, e);
    }
  } cleanup{tmp};
  fs::create_directories(tmp + "/src", ec);
  fs::create_directories(tmp + "/out", ec);
  if (ec) {
    *error = "cannot make " + tmp + ": " + ec.message();
    return std::nullopt;
  }
  // The build environment: the locked build wheels alone, made the way the environment itself
  // is (so nothing is fetched and nothing from the machine's site-packages is seen).
  // The bytecode tag names the version: "cpython-39" -> 3.9, "cpython-310" -> 3.10.
  std::string digits = tag.substr(tag.rfind('-') + 1);
  auto v =
      util::Version::parse(digits.size() > 1 ? digits.substr(0, 1) + "." + digits.substr(1) : "");
  nlohmann::json spec;
  spec["site_packages"] =
      site_packages(v.value_or(util::Version()), platform::host().os() == platform::Os::windows);
  spec["imports"] = std::vector<std::string>{};
  std::vector<source::Artifact> tools = requires_;
  for (auto& t : tools)
    t.build_of.clear(); // installed there: that environment is theirs
  if (std::string err = build(tmp + "/env", python, tools, spec.dump(), o); !err.empty()) {
    *error = sdist.file + ": its build environment: " + err;
    return std::nullopt;
  }
  std::string file = source::locate(sdist, st.dir());
  if (file.empty()) {
    *error = sdist.file + ": not on this computer (run `gpucfg fetch` first)";
    return std::nullopt;
  }
  source::ExtractOptions eo;
  eo.layout = source::Layout::plain;
  eo.component = sdist.component;
  eo.expected_sha256 = sdist.sha256;
  if (auto r = source::extract(file, tmp + "/src", eo); !r.error.empty()) {
    *error = r.error;
    return std::nullopt;
  }
  // An sdist holds one folder, name-version/, with the project in it.
  std::string project = tmp + "/src";
  std::vector<fs::path> top;
  for (const auto& e : fs::directory_iterator(project, ec))
    top.push_back(e.path());
  if (top.size() == 1 && fs::is_directory(top.front())) project = top.front().string();
  bool windows = platform::host().os() == platform::Os::windows;
  std::string bin = tmp + (windows ? "/env/Scripts/python.exe" : "/env/bin/python");
  auto run = probe::run_program({bin, "-c", k_frontend, project, tmp + "/out"}, o.timeout);
  std::string built;
  for (const auto& e : fs::directory_iterator(tmp + "/out", ec))
    if (util::ends_with(e.path().filename().string(), ".whl")) built = e.path().string();
  if (run.exit_code != 0 || built.empty()) {
    std::string out = util::trim(run.output);
    *error = "building " + sdist.file + " failed (exit " + std::to_string(run.exit_code) +
             "): " + out.substr(out.size() > 800 ? out.size() - 800 : 0);
    return std::nullopt;
  }
  std::string sha = util::sha256_file(built).value_or("");
  std::string name = fs::path(built).filename().string();
  fs::create_directories(dir, ec);
  fs::rename(built, dir + "/" + name, ec);
  if (ec) {
    *error = "cannot keep the wheel built from " + sdist.file + " in " + dir + ": " + ec.message();
    return std::nullopt;
  }
  nlohmann::json r{{"file", name},
                   {"sha256", sha},
                   {"sdist", sdist.file},
                   {"sdist_sha256", sdist.sha256},
                   {"tag", tag}};
  std::ofstream(dir + "/wheel.json.tmp") << r.dump(2) << "\n";
  fs::rename(dir + "/wheel.json.tmp", dir + "/wheel.json", ec); // last: its presence means done
  return wheel_artifact(sdist, dir + "/" + name, sha);
}

} // namespace

std::string build_sdists(std::vector<source::Artifact>& artifacts, const std::string& python,
                         const std::string& tag, const BuildOptions& o) {
  std::vector<source::Artifact> wheels, sdists;
  std::map<std::string, std::vector<source::Artifact>> requires_;
  for (const auto& a : artifacts) {
    if (!a.build_of.empty())
      requires_[a.build_of].push_back(a);
    else if (a.layout == "sdist")
      sdists.push_back(a);
    else
      wheels.push_back(a);
  }
  for (const auto& s : sdists) {
    std::string error;
    auto built = built_wheel(*o.store, s, requires_[s.file], python, tag, o, &error);
    if (!built) return error;
    wheels.push_back(*built);
  }
  artifacts = std::move(wheels);
  return "";
}

} // namespace gpucfg::pyenv
