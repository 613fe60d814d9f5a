#include "source/capture.hpp"

#include "source/archive.hpp"
#include "util/fileinfo.hpp"
#include "util/glob.hpp"
#include "util/os.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

namespace gpucfg::source {

namespace fs = std::filesystem;

namespace {

struct Component {
  std::string key, version, dist_info; // dist_info: relative to the prefix, "" when none
  std::vector<std::string> files;      // relative to the prefix
};

bool present(const std::string& path) {
  auto st = util::lstat_info(path);
  return st && st->kind != util::FileInfo::Kind::dir;
}

// nvidia_cuda_nvcc -> cuda_nvcc, nvidia_cudnn_cu13 -> cudnn, nvidia_cuda_runtime -> cuda_cudart
std::string component_key(std::string dist) {
  static const std::regex suffix("_cu[0-9]+$");
  dist = std::regex_replace(dist, suffix, "");
  if (util::starts_with(dist, "nvidia_")) dist = dist.substr(7);
  static const std::map<std::string, std::string> nvidia_names = {
      {"cuda_runtime", "cuda_cudart"}, {"cublas", "libcublas"},     {"cufft", "libcufft"},
      {"curand", "libcurand"},         {"cusolver", "libcusolver"}, {"cusparse", "libcusparse"},
      {"nvjitlink", "libnvjitlink"},   {"nvvm", "libnvvm"},         {"nccl", "nccl"}};
  auto it = nvidia_names.find(dist);
  return it == nvidia_names.end() ? dist : it->second;
}

// Components from the wheels' RECORD files: nvidia/<pkg>/<rest> is <rest> under the prefix.
std::vector<Component> from_records(const std::string& prefix) {
  std::vector<Component> out;
  std::error_code ec;
  for (const std::string sub : {"dist-info", ""}) {
    std::string dir = sub.empty() ? prefix : prefix + "/" + sub;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      std::string name = it->path().filename().string();
      if (!util::ends_with(name, ".dist-info")) continue;
      std::string stem = name.substr(0, name.size() - 10);
      auto dash = stem.find('-');
      if (dash == std::string::npos) continue;
      Component c;
      c.key = component_key(stem.substr(0, dash));
      c.version = stem.substr(dash + 1);
      c.dist_info = (sub.empty() ? "" : sub + "/") + name;
      std::ifstream record(it->path() / "RECORD");
      for (std::string line; std::getline(record, line);) {
        std::string path = line.substr(0, line.find(','));
        auto parts = util::split(path, '/');
        if (parts.size() < 3 || parts[0] != "nvidia") continue;
        std::string rel = path.substr(parts[0].size() + parts[1].size() + 2);
        if (util::ends_with(rel, "__init__.py") || rel.find("__pycache__") != std::string::npos)
          continue;
        if (present(prefix + "/" + rel)) c.files.push_back(rel);
      }
      for (fs::recursive_directory_iterator f(it->path(), ec), fend; !ec && f != fend;
           f.increment(ec))
        if (!f->is_directory())
          c.files.push_back(c.dist_info + "/" + f->path().lexically_relative(it->path()).string());
      out.push_back(std::move(c));
    }
  }
  std::sort(out.begin(), out.end(),
            [](const Component& a, const Component& b) { return a.key < b.key; });
  return out;
}

Component whole_prefix(const std::string& prefix) {
  Component c;
  c.key = "toolkit";
  c.version = "0";
  std::error_code ec;
  if (std::ifstream vj(prefix + "/version.json"); vj) {
    auto j = nlohmann::json::parse(vj, nullptr, false);
    if (!j.is_discarded() && j.contains("cuda")) c.version = j["cuda"].value("version", "0");
  }
  for (fs::recursive_directory_iterator it(prefix, ec), end; !ec && it != end; it.increment(ec))
    if (!it->is_directory() || it->is_symlink())
      c.files.push_back(it->path().lexically_relative(prefix).string());
  return c;
}

// The prefix's files that no component lists (a stub library the image's builder added, files
// written after pip): a component of their own, so what is captured is the whole prefix.
Component unrecorded(const std::string& prefix, const std::vector<Component>& listed) {
  Component rest = whole_prefix(prefix);
  rest.key = "unrecorded";
  std::set<std::string> known;
  for (const auto& c : listed)
    known.insert(c.files.begin(), c.files.end());
  rest.files.erase(std::remove_if(rest.files.begin(), rest.files.end(),
                                  [&](const std::string& f) { return known.count(f) > 0; }),
                   rest.files.end());
  std::sort(rest.files.begin(), rest.files.end());
  return rest;
}

bool excluded(const std::string& rel, const std::vector<std::string>& globs) {
  for (const auto& g : globs)
    if (util::glob_match(g, rel, false)) return true;
  return false;
}

std::string yaml_quote(const std::string& s) {
  return "\"" + s + "\"";
}

std::string major_minor(const std::string& v) {
  auto parts = util::split(v, '.');
  return parts.size() >= 2 ? parts[0] + "." + parts[1] : v;
}

} // namespace

CaptureResult capture(const CaptureOptions& o) {
  CaptureResult r;
  std::string prefix = fs::path(o.prefix).lexically_normal().string();
  if (!prefix.empty() && prefix.size() > 1 && prefix.back() == '/') prefix.pop_back();
  if (!fs::is_directory(prefix)) {
    r.error = prefix + ": not a folder";
    return r;
  }
  auto all = from_records(prefix);
  if (all.empty()) {
    all.push_back(whole_prefix(prefix));
  } else if (Component rest = unrecorded(prefix, all); !rest.files.empty()) {
    // Versioned as the toolkit they came with, where no version.json says otherwise.
    for (const char* key : {"cuda_cudart", "cuda_nvcc"})
      for (const auto& c : all)
        if (rest.version == "0" && c.key == key) rest.version = c.version;
    r.unrecorded = rest.files;
    all.push_back(std::move(rest));
  }
  for (const auto& c : all)
    r.available.push_back(c.key);
  std::vector<Component> chosen;
  for (const auto& want : o.components) {
    auto it =
        std::find_if(all.begin(), all.end(), [&](const Component& c) { return c.key == want; });
    if (it == all.end()) {
      r.error = prefix + " has no component '" + want +
                "' (it has: " + util::join(r.available, ", ") + ")";
      return r;
    }
    chosen.push_back(*it);
  }
  if (o.components.empty()) chosen = all;
  std::error_code ec;
  fs::create_directories(o.out_dir, ec);
  if (ec) {
    r.error = o.out_dir + ": " + ec.message();
    return r;
  }
  r.components.resize(chosen.size());
  std::vector<std::string> errors(chosen.size()), shas(chosen.size());
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i; (i = next++) < chosen.size();) {
      const Component& c = chosen[i];
      std::string top = c.key + "-" + o.platform_id + "-" + c.version + "-archive";
      std::string rel = c.key + "/" + o.platform_id + "/" + top + "." + o.format;
      std::vector<ArchiveMember> members;
      for (const auto& f : c.files)
        if (!excluded(f, o.exclude)) members.push_back({prefix + "/" + f, top + "/" + f, false});
      fs::create_directories(fs::path(o.out_dir + "/" + rel).parent_path(), ec);
      WriteResult w = write_archive(o.out_dir + "/" + rel, o.format, o.level, members);
      errors[i] = w.error;
      shas[i] = w.sha256;
      r.components[i] = {c.key, c.version, rel, members.size(), w.size, w.unpacked_size};
    }
  };
  unsigned jobs = o.jobs ? o.jobs : util::usable_cores();
  std::vector<std::thread> threads;
  for (unsigned t = 1; t < std::min<std::size_t>(jobs, chosen.size()); ++t)
    threads.emplace_back(work);
  work();
  for (auto& t : threads)
    t.join();
  for (const auto& e : errors)
    if (!e.empty()) {
      r.error = e;
      return r;
    }
  nlohmann::json index = nlohmann::json::object();
  std::string cuda_version, cudnn_version, cudnn_cuda;
  std::vector<std::string> cuda_keys;
  for (std::size_t i = 0; i < r.components.size(); ++i) {
    const auto& c = r.components[i];
    const std::string& sha = shas[i];
    index[c.key] = {{"name", c.key},
                    {"version", c.version},
                    {o.platform_id,
                     {{"relative_path", c.archive},
                      {"sha256", sha},
                      {"size", std::to_string(c.size)},
                      {"unpacked_size", std::to_string(c.unpacked_size)}}}};
    if (c.key == "cudnn") {
      cudnn_version = c.version;
    } else {
      cuda_keys.push_back(c.key);
      if (c.key == "cuda_nvcc" || (cuda_version.empty() && c.key == "cuda_cudart"))
        cuda_version = c.version;
    }
  }
  for (const auto& c : chosen)
    if (c.key == "cudnn") {
      std::smatch m;
      static const std::regex cu("_cu([0-9]+)-");
      if (std::regex_search(c.dist_info, m, cu)) cudnn_cuda = m[1].str();
    }
  if (cuda_version.empty() && !cuda_keys.empty()) cuda_version = r.components.front().version;
  index["release_label"] = cuda_version.empty() ? cudnn_version : cuda_version;
  index["release_product"] = "gpucfg-capture";
  std::string index_name = "redistrib_" + index["release_label"].get<std::string>() + ".json";
  r.index = o.out_dir + "/" + index_name;
  std::string text = index.dump(2) + "\n";
  std::ofstream(r.index) << text;
  std::string index_sha = util::sha256_hex(text);

  std::string install = o.install_prefix.empty() ? prefix : o.install_prefix;
  std::string name = o.name.empty() ? "captured-" + fs::path(prefix).filename().string() : o.name;
  std::ostringstream m;
  m << "# Written by `gpucfg capture " << prefix << "`: installs what was captured there from the\n"
    << "# archives beside this file (or a mirror of them). Paths are relative to this file.\n"
    << "apiVersion: gpucfg/v1\nkind: Stack\nmetadata:\n  name: " << name
    << "\n  description: " << yaml_quote("captured from " + prefix) << "\n";
  if (!cuda_keys.empty()) {
    m << "cuda:\n  version: " << yaml_quote(major_minor(cuda_version)) << "\n  prefix: " << install
      << "\n  source:\n    redistrib: " << index_name << "\n    sha256: " << index_sha
      << "\n    components: [" << util::join(cuda_keys, ", ") << "]\n";
  }
  if (!cudnn_version.empty()) {
    m << "cudnn:\n  version: " << yaml_quote(cudnn_version) << "\n";
    if (!cudnn_cuda.empty()) m << "  cuda: " << yaml_quote(cudnn_cuda) << "\n";
    if (!cuda_keys.empty())
      m << "  into: cuda\n";
    else
      m << "  prefix: " << install << "\n";
    m << "  source:\n    redistrib: " << index_name << "\n    sha256: " << index_sha
      << "\n    components: [cudnn]\n";
  }
  r.manifest = o.out_dir + "/" + name + ".yaml";
  std::ofstream(r.manifest) << m.str();
  return r;
}

} // namespace gpucfg::source
