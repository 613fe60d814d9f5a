// What gpucfg.exe reads on a Windows machine (issue #16): the driver through NVML's DLL, the
// toolkits NVIDIA's installer puts under Program Files and those the CUDA_PATH* variables name,
// their versions (version.json, else the runtime DLL's version resource, else the folder's
// name), the cuDNN copies in each toolkit's bin and on PATH, and the DLL search order for `why`.
// Everything goes through the Host, so `--root` reads a copied machine as R\C\...
#include "platform/platform.hpp"
#include "probe/nvml.hpp"
#include "probe/parsers.hpp"
#include "probe/probe.hpp"
#include "util/os.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <cctype>
#include <set>

namespace gpucfg::probe {

namespace {

std::string wjoin(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  return a.back() == '\\' || a.back() == '/' ? a + b : a + "\\" + b;
}

std::string lower(const std::string& s) {
  return util::ascii_lower(s);
}

std::string trim_slash(std::string s) {
  while (s.size() > 3 && (s.back() == '\\' || s.back() == '/'))
    s.pop_back();
  return s;
}

// The PATH folders, in order (';'-separated on Windows).
std::vector<std::string> windows_path(const Host& host) {
  std::vector<std::string> out;
  for (const auto& d : util::split(host.env("PATH").value_or(""), ';'))
    if (!util::trim(d).empty()) out.push_back(trim_slash(util::trim(d)));
  return out;
}

std::string program_files(const Host& host) {
  return host.env("ProgramFiles").value_or("C:\\Program Files");
}

// The first file in `dir` whose lower-case name starts with `prefix` and ends in `suffix`.
std::string find_file(const Host& host, const std::string& dir, const std::string& prefix,
                      const std::string& suffix) {
  auto names = host.list(dir);
  std::sort(names.begin(), names.end());
  for (const auto& n : names)
    if (util::starts_with(lower(n), prefix) && util::ends_with(lower(n), suffix)) return n;
  return {};
}

void read_windows_toolkit(const Host& host, Toolkit& t) {
  const std::string& p = t.realpath;
  version_json_readings(host, wjoin(p, "version.json"), t);
  std::string bin = wjoin(p, "bin");
  if (auto rt = find_file(host, bin, "cudart64_", ".dll"); !rt.empty())
    if (auto v = util::file_version(host.host_path(wjoin(bin, rt))); !v.empty())
      t.readings.push_back({v, "version resource:" + wjoin(bin, rt)});
  if (auto text = host.read(wjoin(p, "include\\cuda_runtime_api.h")))
    if (auto v = parse_cudart_header(*text))
      t.readings.push_back(
          {*v, "file:" + wjoin(p, "include\\cuda_runtime_api.h") + " (CUDART_VERSION)"});
  // The installer's folder is named for the release: ...\CUDA\v11.2.
  std::string base = basename(util::forward_slashes(p));
  if (t.readings.empty() && base.size() > 1 && base[0] == 'v' &&
      std::isdigit(static_cast<unsigned char>(base[1])))
    t.readings.push_back({base.substr(1), "folder name:" + p});
  if (!t.readings.empty()) {
    t.version = t.readings.front().value;
    t.version_evidence = t.readings.front().evidence;
  }
  static const std::pair<const char*, const char*> dlls[] = {
      {"cudart64_", "cudart"},     {"cublas64_", "cublas"},      {"cublaslt64_", "cublasLt"},
      {"cufft64_", "cufft"},       {"curand64_", "curand"},      {"cusolver64_", "cusolver"},
      {"cusparse64_", "cusparse"}, {"nvrtc64_", "nvrtc"},        {"cudnn64_", "cudnn"},
      {"nvjitlink_", "nvjitlink"}, {"nvjitlink64_", "nvjitlink"}};
  std::set<std::string> found;
  for (const auto& f : host.list(bin)) {
    std::string n = lower(f);
    if (n == "nvcc.exe") found.insert("nvcc");
    for (const auto& [prefix, comp] : dlls)
      if (util::starts_with(n, prefix) && util::ends_with(n, ".dll")) found.insert(comp);
  }
  if (host.is_dir(wjoin(p, "extras\\CUPTI\\lib64"))) found.insert("cupti");
  t.components.assign(found.begin(), found.end());
}

void windows_toolkits(const Host& host, Facts& f) {
  auto add = [&](const std::string& dir, const std::string& how) {
    std::string d = trim_slash(dir);
    if (d.empty() || !host.is_dir(d) ||
        (!host.is_dir(wjoin(d, "bin")) && !host.is_file(wjoin(d, "version.json"))))
      return std::string();
    for (auto& t : f.toolkits)
      if (lower(t.realpath) == lower(d)) {
        if (std::find(t.found_by.begin(), t.found_by.end(), how) == t.found_by.end())
          t.found_by.push_back(how);
        return t.realpath;
      }
    Toolkit t;
    t.path = t.realpath = d;
    t.found_by.push_back(how);
    read_windows_toolkit(host, t);
    f.toolkits.push_back(t);
    return d;
  };
  std::string root = wjoin(program_files(host), "NVIDIA GPU Computing Toolkit\\CUDA");
  auto names = host.list(root);
  std::sort(names.begin(), names.end());
  for (const auto& n : names)
    add(wjoin(root, n), wjoin(root, "v*"));
  // CUDA_PATH selects one; the installer also sets CUDA_PATH_V11_2 for each it installs.
  for (const auto& name : host.env_names("CUDA_PATH")) {
    auto value = host.env(name).value_or("");
    std::string real = add(value, "env " + name);
    if (name == "CUDA_PATH") f.selectors.push_back({"env CUDA_PATH", value, real});
  }
}

// cuDNN copies: a cudnn64_N.dll in a toolkit's bin or a PATH folder, its version from the
// headers beside it (..\include), else the DLL's version resource.
void windows_cudnn(const Host& host, Facts& f) {
  std::vector<std::pair<std::string, std::string>> dirs; // folder, location
  for (const auto& t : f.toolkits)
    dirs.push_back({wjoin(t.realpath, "bin"), "toolkit"});
  for (const auto& d : windows_path(host))
    dirs.push_back({d, "PATH"});
  std::set<std::string> seen;
  for (const auto& [dir, location] : dirs) {
    if (!seen.insert(lower(dir)).second) continue;
    std::string dll = find_file(host, dir, "cudnn64_", ".dll");
    if (dll.empty()) continue;
    CudnnCopy c;
    c.location = location;
    c.lib_dir = dir;
    std::string inc = wjoin(dir.substr(0, dir.find_last_of("\\/")), "include");
    for (const char* h : {"cudnn_version.h", "cudnn.h"})
      if (auto text = host.read(wjoin(inc, h)))
        if (auto v = parse_cudnn_header(*text)) {
          c.header = wjoin(inc, h);
          c.version = *v;
          c.version_evidence = "file:" + c.header;
          break;
        }
    std::string resource = util::file_version(host.host_path(wjoin(dir, dll)));
    if (c.version.empty() && !resource.empty()) {
      c.version = resource;
      c.version_evidence = "version resource:" + wjoin(dir, dll);
    }
    for (const auto& n : host.list(dir))
      if (util::starts_with(lower(n), "cudnn") && util::ends_with(lower(n), ".dll"))
        c.libraries.push_back(
            {n, wjoin(dir, n), util::file_version(host.host_path(wjoin(dir, n)))});
    if (c.version.empty())
      c.problems.push_back("no cuDNN header beside it and no version resource");
    f.cudnn.push_back(c);
  }
}

// Visual Studio's C++ compilers, the host compilers nvcc takes on Windows: each
// <Program Files>\Microsoft Visual
// Studio\<year>\<edition>\VC\Tools\MSVC\<toolset>\bin\Hostx64\x64\cl.exe, named msvc with the
// product year (what requires.host_compiler.windows compares).
std::vector<Compiler> windows_compilers(const Host& host) {
  std::vector<Compiler> out;
  std::vector<std::string> roots = {program_files(host)};
  if (auto x86 = host.env("ProgramFiles(x86)")) roots.push_back(*x86);
  for (const auto& root : roots) {
    std::string vs = wjoin(root, "Microsoft Visual Studio");
    for (const auto& year : host.list(vs)) {
      if (year.size() != 4 || !std::isdigit(static_cast<unsigned char>(year[0]))) continue;
      for (const auto& edition : host.list(wjoin(vs, year))) {
        std::string msvc = wjoin(wjoin(wjoin(vs, year), edition), "VC\\Tools\\MSVC");
        auto toolsets = host.list(msvc);
        std::sort(toolsets.begin(), toolsets.end());
        for (const auto& toolset : toolsets) {
          std::string cl = wjoin(wjoin(msvc, toolset), "bin\\Hostx64\\x64\\cl.exe");
          if (host.is_file(cl))
            out.push_back(
                {"msvc", cl, year,
                 "folder:Visual Studio " + year + " " + edition + ", toolset " + toolset});
        }
      }
    }
  }
  // MinGW-w64's g++ and LLVM's clang++ on PATH (MSYS2, WinLibs, llvm-mingw): what builds the
  // verify workloads here, since they are plain C++ (nvcc on Windows takes cl.exe only). The
  // first of each on PATH, its version asked as on Linux.
  std::set<std::string> named;
  for (const auto& d : windows_path(host))
    for (const char* exe : {"g++.exe", "x86_64-w64-mingw32-g++.exe", "clang++.exe"}) {
      std::string name = util::starts_with(exe, "clang") ? "clang++" : "g++";
      std::string path = wjoin(d, exe);
      if (named.count(name) || !host.is_file(path)) continue;
      named.insert(name);
      auto r = host.run({path, "-dumpfullversion", "-dumpversion"}, std::chrono::seconds(10));
      out.push_back({name, path, parse_compiler_version(r.output).value_or(""),
                     "command:" + path + " -dumpfullversion"});
    }
  return out;
}

// conda's Pythons, which the seed's machine has (it installs Anaconda): the base of Anaconda or
// Miniconda where their installers put it (just for the user, or for all users) and each of its
// environments; the version from conda-meta's record of its python package
// (python-3.9.13-h6244533_2.json), so nothing is run.
std::vector<Python> conda_pythons(const Host& host) {
  std::vector<std::string> bases; // as the folder is spelled (Anaconda3, anaconda3)
  for (const char* var : {"USERPROFILE", "ProgramData", "LOCALAPPDATA"})
    if (auto dir = host.env(var))
      for (const auto& name : host.list(*dir))
        if (lower(name) == "anaconda3" || lower(name) == "miniconda3")
          bases.push_back(wjoin(*dir, name));
  std::vector<Python> out;
  for (const auto& base : bases) {
    std::vector<std::string> prefixes = {base};
    for (const auto& env : host.list(wjoin(base, "envs")))
      prefixes.push_back(wjoin(wjoin(base, "envs"), env));
    for (const auto& prefix : prefixes) {
      std::string exe = wjoin(prefix, "python.exe");
      if (!host.is_file(exe)) continue;
      for (const auto& record : host.list(wjoin(prefix, "conda-meta"))) {
        if (!util::starts_with(record, "python-") || !util::ends_with(record, ".json")) continue;
        std::string version = record.substr(7, record.find('-', 7) - 7);
        if (version.empty() || !std::isdigit(static_cast<unsigned char>(version[0]))) continue;
        out.push_back(
            {exe, exe, version, "conda-meta:" + wjoin(wjoin(prefix, "conda-meta"), record)});
        break;
      }
    }
  }
  return out;
}

// Pythons where python.org's installer puts them (per user, or for all users), on PATH and conda's;
// the version from the folder's name (Python39 -> 3.9), as the installer names it.
std::vector<Python> windows_pythons(const Host& host) {
  std::vector<Python> out;
  std::vector<std::string> roots;
  if (auto local = host.env("LOCALAPPDATA")) roots.push_back(wjoin(*local, "Programs\\Python"));
  roots.push_back(program_files(host));
  roots.push_back("C:\\");
  std::vector<std::string> dirs;
  for (const auto& r : roots)
    for (const auto& n : host.list(r))
      if (util::starts_with(lower(n), "python3")) dirs.push_back(wjoin(r, n));
  for (const auto& d : windows_path(host))
    dirs.push_back(d);
  std::set<std::string> seen;
  for (const auto& d : dirs) {
    std::string exe = wjoin(d, "python.exe"), name = basename(util::forward_slashes(d));
    if (!host.is_file(exe) || !seen.insert(lower(exe)).second) continue;
    std::string digits;
    for (char c : name.substr(std::min<std::size_t>(6, name.size()))) // Python311-32 -> 311
      if (std::isdigit(static_cast<unsigned char>(c)))
        digits += c;
      else
        break;
    std::string version = digits.size() >= 2 && std::isdigit(static_cast<unsigned char>(digits[0]))
                              ? digits.substr(0, 1) + "." + digits.substr(1)
                              : "";
    // WindowsApps\python.exe is the Store's installer stub, not a Python.
    if (version.empty() || lower(d).find("windowsapps") != std::string::npos) continue;
    out.push_back({exe, exe, version, "folder:" + d});
  }
  for (auto& p : conda_pythons(host))
    if (seen.insert(lower(p.path)).second) out.push_back(std::move(p));
  return out;
}

DriverFacts windows_driver(const Host& host) {
  DriverFacts d;
  std::string why;
  if (!host.live()) {
    d.absent_reason = "a --root folder has no driver to ask";
    return d;
  }
  if (auto r = query_nvml(&why)) return driver_from_nvml(*r);
  d.absent_reason = "no NVIDIA driver: NVML (nvml.dll) " + why;
  return d;
}

} // namespace

Resolution resolve_dll(const Host& host, const std::string& name, const Facts& facts) {
  Resolution r;
  r.name = name;
  // The standard search order for a DLL a program loads by name (SafeDllSearchMode): the
  // program's own folder, System32, the Windows folder, the current folder, then PATH.
  std::string windir = host.env("SystemRoot").value_or("C:\\Windows");
  std::vector<std::pair<std::string, std::string>> order = {{wjoin(windir, "System32"), "System32"},
                                                            {windir, "the Windows folder"}};
  for (const auto& d : windows_path(host))
    order.push_back({d, "PATH"});
  r.steps.push_back("the loading program's own folder: searched first (python.exe's for "
                    "TensorFlow; not known here)");
  r.steps.push_back("System32 and the Windows folder: " + windir);
  r.steps.push_back("the current folder, then PATH (" + std::to_string(order.size() - 2) +
                    " folder(s))");
  std::set<std::string> seen;
  for (const auto& [dir, via] : order) {
    if (!seen.insert(lower(dir)).second) continue;
    std::string path = wjoin(dir, name);
    if (!host.is_file(path)) continue;
    std::string v = util::file_version(host.host_path(path));
    for (const auto& c : facts.cudnn)
      if (lower(c.lib_dir) == lower(dir) && v.empty()) v = c.version;
    r.candidates.push_back({path, path, via + (via == "PATH" ? " " + dir : ""), v});
  }
  if (!r.candidates.empty()) r.chosen = r.candidates.front().path;
  r.steps.push_back(r.chosen.empty() ? "result: not found; LoadLibrary(\"" + name + "\") fails"
                                     : "result: " + r.chosen);
  return r;
}

Facts gather_windows(const Host& host, const ProbeOptions& options) {
  Facts f;
  f.root = host.root();
  const platform::Platform& self = platform::host();
  f.platform.id = self.id();
  f.platform.os = self.os_name();
  f.platform.arch = self.arch();
  f.platform.distro = "windows";
  f.platform.distro_version = host.live() ? util::os_release() : "";
  f.platform.hostname = host.live() ? util::hostname() : "";
  f.platform.evidence = "the Windows API";
  f.driver = windows_driver(host);
  windows_toolkits(host, f);
  windows_cudnn(host, f);
  for (const auto& c : f.cudnn) {
    std::string dll = find_file(host, c.lib_dir, "cudnn64_", ".dll");
    if (!dll.empty()) f.loader.push_back(resolve_dll(host, dll, f));
  }
  std::set<std::string> versions;
  for (const auto& c : f.cudnn)
    versions.insert(c.version);
  if (versions.size() > 1)
    f.warnings.push_back(std::to_string(f.cudnn.size()) +
                         " cuDNN copies with different versions; `gpucfg why cudnn64_N.dll` "
                         "shows which one loads");
  if (options.compilers) f.compilers = windows_compilers(host);
  if (options.pythons) f.pythons = windows_pythons(host);
  if (options.frameworks) f.frameworks = gather_frameworks(host, options.framework_timeout);
  return f;
}

} // namespace gpucfg::probe
