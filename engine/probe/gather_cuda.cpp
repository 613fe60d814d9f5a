// CUDA toolkits: every one on the machine, its version from whichever source the layout has, its
// components, and which toolkit each selector (PATH, /usr/local/cuda, CUDA_HOME, …) points to.
#include "probe/probe.hpp"
#include "util/strings.hpp"
#include "util/version.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace gpucfg::probe {
namespace {

const char* k_lib_dirs[] = {"lib64", "lib", "targets/x86_64-linux/lib", "targets/sbsa-linux/lib"};

bool looks_like_toolkit(const Host& host, const std::string& dir) {
  return host.is_file(join(dir, "bin/nvcc")) || host.is_file(join(dir, "version.json")) ||
         host.is_file(join(dir, "version.txt")) ||
         host.is_file(join(dir, "include/cuda_runtime_api.h"));
}

// "/usr/local/cuda-12.2" -> "12-2", the suffix NVIDIA's apt packages use (cuda-nvcc-12-2).
std::string apt_suffix(const std::string& prefix) {
  std::string base = basename(prefix);
  if (!util::starts_with(base, "cuda-")) return {};
  std::string v = base.substr(5);
  std::replace(v.begin(), v.end(), '.', '-');
  return v;
}

std::string major_minor(const std::string& v) {
  auto parts = util::split(v, '.');
  return parts.size() >= 2 ? parts[0] + "." + parts[1] : v;
}

void read_versions(const Host& host, Toolkit& t, const std::map<std::string, std::string>* dpkg) {
  const std::string& p = t.realpath;
  version_json_readings(host, join(p, "version.json"), t);
  if (auto text = host.read(join(p, "version.txt")))
    if (auto v = parse_version_txt(*text))
      t.readings.push_back({*v, "file:" + join(p, "version.txt")});
  // Toolkits assembled from NVIDIA's wheels keep the wheels' dist-info folders.
  for (const std::string& dir : {join(p, "dist-info"), p})
    for (const auto& name : host.list(dir))
      if (auto di = parse_dist_info_name(name))
        if (util::starts_with(di->package, "nvidia_cuda_nvcc") ||
            util::starts_with(di->package, "nvidia_cuda_runtime"))
          t.readings.push_back({di->version, "file:" + join(dir, name)});
  if (dpkg) {
    std::string suffix = apt_suffix(t.realpath);
    for (const char* pkg : {"cuda-nvcc-", "cuda-cudart-"})
      if (auto it = dpkg->find(pkg + suffix); !suffix.empty() && it != dpkg->end())
        t.readings.push_back(
            {it->second.substr(0, it->second.find('-')), "dpkg:" + it->first + " " + it->second});
  }
  if (auto text = host.read(join(p, "include/cuda_runtime_api.h")))
    if (auto v = parse_cudart_header(*text))
      t.readings.push_back(
          {*v, "file:" + join(p, "include/cuda_runtime_api.h") + " (CUDART_VERSION)"});
}

void read_components(const Host& host, Toolkit& t) {
  std::set<std::string> found;
  if (host.is_file(join(t.realpath, "bin/nvcc"))) found.insert("nvcc");
  static const std::pair<const char*, const char*> libs[] = {
      {"libcudart.so", "cudart"},       {"libcublas.so", "cublas"},
      {"libcublasLt.so", "cublasLt"},   {"libcufft.so", "cufft"},
      {"libcurand.so", "curand"},       {"libcusolver.so", "cusolver"},
      {"libcusparse.so", "cusparse"},   {"libnvrtc.so", "nvrtc"},
      {"libcupti.so", "cupti"},         {"libnccl.so", "nccl"},
      {"libnvJitLink.so", "nvjitlink"}, {"libcudnn.so", "cudnn"}};
  for (const char* d : k_lib_dirs)
    for (const auto& f : host.list(join(t.realpath, d)))
      for (const auto& [prefix, comp] : libs)
        if (f == prefix || util::starts_with(f, std::string(prefix) + ".")) found.insert(comp);
  if (host.is_dir(join(t.realpath, "extras/CUPTI/lib64"))) found.insert("cupti");
  t.components.assign(found.begin(), found.end());
}

// compat/libcuda.so.<driver version>: the real file, not its libcuda.so.1 link.
void read_compat(const Host& host, Toolkit& t) {
  for (const auto& f : host.list(join(t.realpath, "compat"))) {
    std::string v = library_name_version(f);
    if (util::starts_with(f, "libcuda.so.") && util::split(v, '.').size() >= 2 && v != "1") {
      t.compat_libcuda = join(join(t.realpath, "compat"), f);
      t.compat_version = v;
    }
  }
}

} // namespace

void version_json_readings(const Host& host, const std::string& file, Toolkit& t) {
  if (auto text = host.read(file))
    if (auto vj = parse_version_json(*text)) {
      t.readings.push_back({vj->cuda, "file:" + file});
      if (vj->components.count("cuda_nvcc"))
        t.readings.push_back({vj->components["cuda_nvcc"], "file:" + file + " (cuda_nvcc)"});
    }
}

void gather_toolkits(const Host& host, Facts& facts, const std::vector<std::string>& named) {
  std::map<std::string, Toolkit> by_real; // realpath -> toolkit
  std::vector<std::string> order;
  auto consider = [&](const std::string& dir, const std::string& how) {
    if (dir.empty() || !host.is_dir(dir)) return std::string();
    std::string real = host.resolve(dir);
    if (!looks_like_toolkit(host, real)) return std::string();
    auto [it, fresh] = by_real.try_emplace(real);
    if (fresh) {
      it->second.path = dir;
      it->second.realpath = real;
      order.push_back(real);
    }
    if (std::find(it->second.found_by.begin(), it->second.found_by.end(), how) ==
        it->second.found_by.end())
      it->second.found_by.push_back(how);
    return real;
  };

  for (const char* parent : {"/usr/local", "/opt", "/opt/nvidia"})
    for (const auto& name : host.list(parent))
      if (util::starts_with(name, "cuda")) consider(join(parent, name), join(parent, "cuda*"));
  consider("/usr/lib/cuda", "/usr/lib/cuda"); // Debian's nvidia-cuda-toolkit
  for (const auto& dir : named)
    consider(dir, "named by the manifest");

  // Selectors: each says "use this toolkit" in its own way; record what they select.
  auto select = [&](const std::string& name, const std::string& value, const std::string& dir) {
    std::string real = consider(dir, name);
    facts.selectors.push_back({name, value, real});
  };
  if (auto nvcc = which(host, "nvcc")) {
    std::string real_nvcc = host.resolve(*nvcc);
    select("PATH nvcc", *nvcc, dirname(dirname(real_nvcc)));
  }
  for (const char* link : {"/usr/local/cuda", "/etc/alternatives/cuda"})
    if (auto target = host.read_link(link)) select(link, *target, link);
  // /usr/local/cuda-13 -> /etc/alternatives/cuda-13: a major's selector (NVIDIA's packages).
  for (const auto& name : host.list("/usr/local"))
    if (util::starts_with(name, "cuda-") && name.find('.') == std::string::npos)
      if (auto target = host.read_link(join("/usr/local", name)))
        select(join("/usr/local", name), *target, join("/usr/local", name));
  std::vector<std::string> env_names = {"CUDA_HOME", "CUDA_PATH", "CUDA_ROOT",
                                        "CUDA_TOOLKIT_ROOT_DIR"};
  for (const auto& n : host.env_names("CUDA_PATH_V"))
    env_names.push_back(n);
  for (const auto& n : env_names)
    if (auto v = host.env(n); v && !v->empty()) select("env " + n, *v, *v);

  // dpkg's database is read only when some toolkit has no version file of its own.
  std::optional<std::map<std::string, std::string>> dpkg;
  for (const auto& real : order) {
    Toolkit& t = by_real[real];
    read_versions(host, t, nullptr);
    bool has_full = std::any_of(t.readings.begin(), t.readings.end(), [](const Reading& r) {
      return util::split(r.value, '.').size() >= 3;
    });
    if (!has_full) {
      if (!dpkg) dpkg = parse_dpkg_status(host.read("/var/lib/dpkg/status", 64 << 20).value_or(""));
      t.readings.clear();
      read_versions(host, t, &*dpkg);
    }
    if (!has_full && host.is_executable(join(real, "bin/nvcc"))) {
      auto r = host.run({join(real, "bin/nvcc"), "--version"}, std::chrono::milliseconds(5000));
      if (auto v = parse_nvcc_version(r.output))
        t.readings.push_back({*v, "command:" + join(real, "bin/nvcc") + " --version"});
    }
    if (!t.readings.empty()) {
      // The first reading is the most specific source (version.json, version.txt, dist-info, …).
      t.version = t.readings.front().value;
      t.version_evidence = t.readings.front().evidence;
      for (const auto& r : t.readings)
        if (major_minor(r.value) != major_minor(t.version))
          facts.warnings.push_back("toolkit " + real + ": sources disagree on its version (" +
                                   t.version + " from " + t.version_evidence + ", " + r.value +
                                   " from " + r.evidence + ")");
    }
    read_components(host, t);
    read_compat(host, t);
    facts.toolkits.push_back(t);
  }

  std::set<std::string> selected;
  for (const auto& s : facts.selectors)
    if (!s.toolkit.empty()) selected.insert(s.toolkit);
  if (selected.size() > 1) {
    std::string detail;
    for (const auto& s : facts.selectors)
      detail += "\n  " + s.name + " -> " + (s.toolkit.empty() ? "(none)" : s.toolkit);
    facts.warnings.push_back("selectors disagree on the CUDA toolkit:" + detail);
  }
}

} // namespace gpucfg::probe
