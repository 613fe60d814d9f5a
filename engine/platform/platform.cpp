#include "platform/platform.hpp"

#include <algorithm>
#include <memory>

namespace gpucfg::platform {
namespace {

class Linux final : public Platform {
public:
  Linux(std::string id, std::string arch) : m_id(std::move(id)), m_arch(std::move(arch)) {}
  const std::string& id() const override { return m_id; }
  Os os() const override { return Os::linux; }
  std::string arch() const override { return m_arch; }
  std::string default_cuda_prefix(const util::Version& v) const override {
    return "/usr/local/cuda-" + std::to_string(v.major()) + "." + std::to_string(v.minor());
  }
  std::string libdir() const override { return "lib64"; }
  std::string bindir() const override { return "bin"; }
  char list_separator() const override { return ':'; }
  bool is_absolute(std::string_view p) const override { return !p.empty() && p[0] == '/'; }
  std::string native(std::string_view p) const override { return std::string(p); }
  std::string library_file(std::string_view name, std::string_view version) const override {
    std::string f = "lib" + std::string(name) + ".so";
    if (!version.empty()) f += "." + std::string(version);
    return f;
  }

private:
  std::string m_id, m_arch;
};

class Windows final : public Platform {
public:
  const std::string& id() const override { return m_id; }
  Os os() const override { return Os::windows; }
  std::string arch() const override { return "x86_64"; }
  std::string default_cuda_prefix(const util::Version& v) const override {
    return "C:\\Program Files\\NVIDIA GPU Computing Toolkit\\CUDA\\v" + std::to_string(v.major()) +
           "." + std::to_string(v.minor());
  }
  std::string libdir() const override { return "lib\\x64"; }
  std::string bindir() const override { return "bin"; }
  char list_separator() const override { return ';'; }
  bool is_absolute(std::string_view p) const override {
    // Drive paths (C:\ or C:/) and UNC paths (\\server\share).
    bool drive = p.size() >= 3 && std::isalpha(static_cast<unsigned char>(p[0])) && p[1] == ':' &&
                 (p[2] == '\\' || p[2] == '/');
    bool unc = p.size() >= 2 && p[0] == '\\' && p[1] == '\\';
    return drive || unc;
  }
  std::string native(std::string_view p) const override {
    std::string s(p);
    std::replace(s.begin(), s.end(), '/', '\\');
    return s;
  }
  std::string library_file(std::string_view name, std::string_view version) const override {
    // TensorFlow's FormatLibraryFileName: name + "64_" + version + ".dll" (cudnn64_8.dll).
    std::string f(name);
    if (!version.empty()) f += "64_" + std::string(version);
    return f + ".dll";
  }

private:
  std::string m_id = "windows-x86_64";
};

const std::vector<std::unique_ptr<Platform>>& all() {
  static const auto* platforms = [] {
    auto* v = new std::vector<std::unique_ptr<Platform>>();
    v->push_back(std::make_unique<Linux>("linux-x86_64", "x86_64"));
    v->push_back(std::make_unique<Linux>("linux-sbsa", "aarch64"));
    v->push_back(std::make_unique<Linux>("linux-aarch64", "aarch64")); // Jetson (L4T)
    v->push_back(std::make_unique<Windows>());
    return v;
  }();
  return *platforms;
}

} // namespace

const Platform* find(std::string_view id) {
  for (const auto& p : all())
    if (p->id() == id) return p.get();
  return nullptr;
}

const Platform& host() {
#if defined(_WIN32)
  return *find("windows-x86_64");
#elif defined(__aarch64__)
  return *find("linux-sbsa");
#else
  return *find("linux-x86_64");
#endif
}

std::vector<std::string> known_ids() {
  std::vector<std::string> ids;
  for (const auto& p : all())
    ids.push_back(p->id());
  return ids;
}

} // namespace gpucfg::platform
