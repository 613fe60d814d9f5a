// cuDNN copies: every folder holding libcudnn, wherever it lives (toolkits, system folders,
// Python site-packages, conda environments), its version, and whether its pieces agree.
#include "probe/probe.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

namespace gpucfg::probe {
namespace {

struct Place {
  std::string location, lib_dir, include_dir, dist_info_dir;
};

// Every `pattern` match of folder names: ("/root/.pyenv/versions", "*") style, one level.
std::vector<std::string> subdirs(const Host& host, const std::string& dir,
                                 const std::string& prefix = "") {
  std::vector<std::string> out;
  for (const auto& n : host.list(dir))
    if (util::starts_with(n, prefix) && host.is_dir(join(dir, n))) out.push_back(join(dir, n));
  return out;
}

std::vector<std::string> site_packages(const Host& host) {
  std::vector<std::string> roots = {"/usr/lib", "/usr/local/lib"};
  if (auto home = host.env("HOME")) {
    roots.push_back(join(*home, ".local/lib"));
    for (const auto& v : subdirs(host, join(*home, ".pyenv/versions")))
      roots.push_back(join(v, "lib"));
  }
  for (const char* e : {"VIRTUAL_ENV", "CONDA_PREFIX"})
    if (auto v = host.env(e)) roots.push_back(join(*v, "lib"));
  for (const auto& v : usual_venvs(host))
    roots.push_back(join(v, "lib"));
  // Interpreters on PATH: a virtual environment's bin/ sits beside its lib/python3.X.
  for (const auto& d : path_dirs(host))
    if (util::ends_with(d, "/bin")) roots.push_back(join(dirname(d), "lib"));
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& r : roots)
    for (const auto& py : subdirs(host, r, "python3"))
      for (const char* kind : {"site-packages", "dist-packages"})
        if (host.is_dir(join(py, kind)) && seen.insert(host.resolve(join(py, kind))).second)
          out.push_back(join(py, kind));
  return out;
}

std::vector<std::string> conda_envs(const Host& host) {
  std::vector<std::string> bases = {"/opt/conda"};
  if (auto home = host.env("HOME"))
    for (const char* d : {"miniconda3", "anaconda3", "miniforge3", "mambaforge"})
      bases.push_back(join(*home, d));
  std::vector<std::string> out;
  if (auto p = host.env("CONDA_PREFIX")) out.push_back(*p);
  for (const auto& b : bases) {
    if (!host.is_dir(b)) continue;
    out.push_back(b);
    for (const auto& e : subdirs(host, join(b, "envs")))
      out.push_back(e);
  }
  return out;
}

std::vector<Place> places(const Host& host, const Facts& facts) {
  std::vector<Place> out;
  for (const auto& t : facts.toolkits)
    for (const char* d : {"lib64", "lib", "targets/x86_64-linux/lib", "targets/sbsa-linux/lib"})
      out.push_back({"toolkit", join(t.realpath, d), join(t.realpath, "include"),
                     join(t.realpath, "dist-info")});
  for (const char* d : {"/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64",
                        "/usr/lib", "/usr/local/lib", "/lib/x86_64-linux-gnu"})
    out.push_back({"system", d, "/usr/include", ""});
  // NVIDIA's wheels: nvidia/cudnn/lib for cuDNN, nvidia/cu13/lib for CUDA 13's merged layout.
  for (const auto& sp : site_packages(host))
    for (const auto& pkg : subdirs(host, join(sp, "nvidia")))
      out.push_back({"python", join(pkg, "lib"), join(pkg, "include"), sp});
  for (const auto& env : conda_envs(host))
    out.push_back({"conda", join(env, "lib"), join(env, "include"), ""});
  // Wherever the loader is told to look: a copy there matters even in an odd place.
  for (const auto& dir : util::split(host.env("LD_LIBRARY_PATH").value_or(""), ':'))
    if (!dir.empty()) out.push_back({"LD_LIBRARY_PATH", dir, join(dirname(dir), "include"), ""});
  for (const auto& e : read_ld_cache(host))
    if (util::starts_with(e.name, "libcudnn.so."))
      out.push_back(
          {"ld.so.cache", dirname(e.path), join(dirname(dirname(e.path)), "include"), ""});
  return out;
}

// cuDNN 8+ keeps the version macros in cudnn_version.h; Debian's packages name it
// cudnn_version_v9.h under the multiarch folder; cuDNN <= 7 has them in cudnn.h.
std::optional<std::pair<std::string, std::string>>
header_version(const Host& host, const std::string& inc, const std::string& major) {
  std::vector<std::string> candidates = {
      join(inc, "cudnn_version.h"), join(inc, "cudnn_version_v" + major + ".h"),
      join(inc, "x86_64-linux-gnu/cudnn_version_v" + major + ".h"), join(inc, "cudnn.h")};
  for (const auto& h : candidates)
    if (auto text = host.read(h))
      if (auto v = parse_cudnn_header(*text)) return std::make_pair(h, *v);
  return std::nullopt;
}

// The cuDNN copy in `place`, if its library folder holds one.
std::optional<CudnnCopy> read_copy(const Host& host, const Place& place,
                                   std::set<std::string>& seen) {
  std::vector<std::string> files;
  for (const auto& f : host.list(place.lib_dir))
    if (util::starts_with(f, "libcudnn") && f.find(".so") != std::string::npos) files.push_back(f);
  if (files.empty()) return std::nullopt;
  std::string real_dir = host.resolve(place.lib_dir);
  if (!seen.insert(real_dir).second)
    return std::nullopt; // lib64 -> lib, /usr/local/lib64 -> toolkit
  CudnnCopy c;
  c.location = place.location;
  c.lib_dir = place.lib_dir;
  std::string major;
  std::set<std::string> full_versions;
  for (const auto& f : files) {
    std::string path = join(place.lib_dir, f);
    std::string real = host.resolve(path);
    CudnnLibrary lib{f, real, library_name_version(basename(real))};
    if (library_stem(f) == "libcudnn" && util::split(library_name_version(f), '.').size() == 1)
      major = library_name_version(f);
    if (util::split(lib.version, '.').size() >= 3)
      full_versions.insert(library_stem(f) + " " + lib.version);
    c.libraries.push_back(lib);
  }
  // The version: the header beside the libraries, else the libraries' own file names, else a
  // wheel's dist-info.
  if (auto h = header_version(host, place.include_dir, major)) {
    c.header = h->first;
    c.version = h->second;
    c.version_evidence = "file:" + h->first;
  }
  std::set<std::string> lib_versions;
  for (const auto& l : c.libraries)
    if (util::split(l.version, '.').size() >= 3) lib_versions.insert(l.version);
  if (c.version.empty() && !lib_versions.empty()) {
    c.version = *lib_versions.rbegin();
    c.version_evidence = "file names in " + place.lib_dir;
  }
  // A wheel's dist-info carries the build number too (9.19.0 -> 9.19.0.56): use it when it
  // agrees with what the header or file names said, or when nothing else said anything.
  if (!place.dist_info_dir.empty())
    for (const auto& n : host.list(place.dist_info_dir))
      if (auto di = parse_dist_info_name(n); di && util::starts_with(di->package, "nvidia_cudnn")) {
        if (!c.version.empty() && !util::starts_with(di->version, c.version + ".")) continue;
        c.version_evidence = (c.version.empty() ? "" : c.version_evidence + ", ") +
                             "file:" + join(place.dist_info_dir, n);
        c.version = di->version;
      }
  // cuDNN 8/9 load their sub-libraries at run time; mixed versions fail with
  // CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH.
  if (lib_versions.size() > 1)
    c.problems.push_back(
        "sub-library version skew: " +
        util::join(std::vector<std::string>(full_versions.begin(), full_versions.end()), ", "));
  // The libraries are what loads: where the header disagrees with them, their version is the
  // copy's and the disagreement is the finding (a 9.1.0 header beside libcudnn.so.8.9.2).
  if (!c.header.empty() && lib_versions.size() == 1 &&
      !util::starts_with(*lib_versions.begin() + ".", c.version + ".") &&
      !util::starts_with(c.version + ".", *lib_versions.begin() + ".")) {
    c.problems.push_back("header " + c.header + " says " + c.version + " but the libraries are " +
                         *lib_versions.begin());
    c.version = *lib_versions.begin();
    c.version_evidence = "file names in " + place.lib_dir;
  }
  return c;
}

void add_copy(Facts& facts, CudnnCopy c) {
  for (const auto& p : c.problems)
    facts.warnings.push_back("cuDNN in " + c.lib_dir + ": " + p);
  facts.cudnn.push_back(std::move(c));
}

} // namespace

// A system copy's build number from its Debian package (libcudnn9-cuda-13 9.14.0.64-1 for the
// header's 9.14.0), when the package's version agrees with what the files said.
void dpkg_build(const Host& host, CudnnCopy& c,
                std::optional<std::map<std::string, std::string>>& dpkg) {
  if (c.location != "system" || c.version.empty()) return;
  if (!dpkg) dpkg = parse_dpkg_status(host.read("/var/lib/dpkg/status", 64 << 20).value_or(""));
  for (const auto& [package, version] : *dpkg) {
    if (!util::starts_with(package, "libcudnn") || package.find("-dev") != std::string::npos)
      continue;
    std::string v =
        version.substr(version.find(':') == std::string::npos ? 0 : version.find(':') + 1);
    v = v.substr(0, v.find('-'));
    if (util::starts_with(v + ".", c.version + ".") && v.size() > c.version.size()) {
      c.version = v;
      c.version_evidence += ", dpkg:" + package + " " + version;
      return;
    }
  }
}

std::vector<std::string> usual_venvs(const Host& host) {
  std::vector<std::string> venvs, out;
  for (const auto& opt : subdirs(host, "/opt"))
    for (const char* v : {".venv", "venv"})
      venvs.push_back(join(opt, v));
  for (const auto& e : subdirs(host, "/opt/gpucfg/envs"))
    venvs.push_back(e);
  if (auto home = host.env("HOME")) {
    for (const char* v : {".venv", "venv"})
      venvs.push_back(join(*home, v));
    for (const char* d : {".virtualenvs", "venvs", ".venvs"})
      for (const auto& v : subdirs(host, join(*home, d)))
        venvs.push_back(v);
  }
  for (const auto& v : venvs)
    if (host.is_file(join(v, "pyvenv.cfg"))) out.push_back(v);
  return out;
}

void gather_cudnn(const Host& host, Facts& facts) {
  std::set<std::string> seen;
  std::optional<std::map<std::string, std::string>> dpkg; // read once, only if a system copy
  for (const Place& place : places(host, facts))
    if (auto c = read_copy(host, place, seen)) {
      dpkg_build(host, *c, dpkg);
      add_copy(facts, std::move(*c));
    }
  if (facts.cudnn.size() > 1) {
    // Versions that agree as far as both go are one (8.9.7 from a header, 8.9.7.29 from a wheel).
    std::vector<std::string> distinct;
    for (const auto& c : facts.cudnn) {
      bool same = false;
      for (auto& d : distinct)
        if (util::starts_with(c.version + ".", d + ".") ||
            util::starts_with(d + ".", c.version + ".")) {
          same = true;
          if (c.version.size() > d.size()) d = c.version;
        }
      if (!same) distinct.push_back(c.version);
    }
    if (distinct.size() > 1)
      facts.warnings.push_back(std::to_string(facts.cudnn.size()) +
                               " cuDNN copies with different versions; `gpucfg why libcudnn.so.N` "
                               "shows which one loads");
  }
}

void gather_cudnn_in(const Host& host, Facts& facts, const std::string& prefix) {
  std::set<std::string> seen;
  for (const auto& c : facts.cudnn)
    seen.insert(host.resolve(c.lib_dir));
  for (const char* d : {"lib64", "lib"})
    if (auto c = read_copy(host, {"manifest", join(prefix, d), join(prefix, "include"), ""}, seen))
      add_copy(facts, std::move(*c));
}

} // namespace gpucfg::probe
