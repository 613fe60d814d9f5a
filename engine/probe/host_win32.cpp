// The Windows Host. Machine paths are Windows paths ("C:\Program Files\NVIDIA GPU Computing
// Toolkit\CUDA\v11.2", '/' accepted too). Live, they are used as they are; under a root folder
// R, "C:\X\Y" is R\C\X\Y (the drive letter as a folder, as Wine lays out its drives), so a fake
// Windows machine can be a folder. Links are not followed by resolve(): Windows toolkits and
// cuDNN copies are plain files, and the DLL search order never walks a link.
#include "probe/host.hpp"
#include "util/fileinfo.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <windows.h>

namespace gpucfg::probe {
namespace {

namespace fs = std::filesystem;

std::string narrow(const std::wstring& w) {
  return fs::path(w).u8string();
}

class WindowsHost final : public Host {
public:
  explicit WindowsHost(std::string root) : m_root(root.empty() ? "/" : std::move(root)) {}

  const std::string& root() const override { return m_root; }

  std::optional<std::string> read(const std::string& path, std::size_t max_bytes) const override {
    std::ifstream in(fs::u8path(real(path)), std::ios::binary);
    if (!in) return std::nullopt;
    std::string text(max_bytes, '\0');
    in.read(text.data(), static_cast<std::streamsize>(max_bytes));
    text.resize(static_cast<std::size_t>(in.gcount()));
    return text;
  }

  std::vector<std::string> list(const std::string& dir) const override {
    std::vector<std::string> out;
    std::error_code ec;
    for (fs::directory_iterator it(fs::u8path(real(dir)), ec), end; !ec && it != end;
         it.increment(ec))
      out.push_back(it->path().filename().u8string());
    std::sort(out.begin(), out.end());
    return out;
  }

  bool is_dir(const std::string& path) const override {
    std::error_code ec;
    return fs::is_directory(fs::u8path(real(path)), ec);
  }
  bool is_file(const std::string& path) const override {
    std::error_code ec;
    return fs::is_regular_file(fs::u8path(real(path)), ec);
  }
  bool is_executable(const std::string& path) const override {
    std::string lower = path;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    bool program = util::ends_with(lower, ".exe") || util::ends_with(lower, ".bat") ||
                   util::ends_with(lower, ".cmd") || util::ends_with(lower, ".com");
    return program && is_file(path);
  }

  std::optional<FileStat> lstat(const std::string& path) const override {
    auto info = util::lstat_info(real(path));
    if (!info) return std::nullopt;
    FileStat f;
    using Kind = util::FileInfo::Kind;
    f.kind = info->kind == Kind::file      ? "file"
             : info->kind == Kind::dir     ? "dir"
             : info->kind == Kind::symlink ? "symlink"
                                           : "other";
    f.size = info->size;
    f.mtime_ns = info->mtime_ns;
    f.mode = info->mode;
    return f;
  }

  std::string host_path(const std::string& path) const override { return real(path); }

  std::optional<std::string> read_link(const std::string& path) const override {
    std::error_code ec;
    auto target = fs::read_symlink(fs::u8path(real(path)), ec);
    if (ec) return std::nullopt;
    return target.u8string();
  }

  std::string resolve(const std::string& path) const override { return native(path); }

  std::optional<std::string> env(const std::string& name) const override {
    const wchar_t* v = _wgetenv(fs::u8path(name).wstring().c_str());
    if (!v) return std::nullopt;
    return narrow(v);
  }

  std::vector<std::string> env_names(const std::string& prefix) const override {
    std::vector<std::string> out;
    wchar_t* block = GetEnvironmentStringsW();
    for (const wchar_t* e = block; e && *e; e += wcslen(e) + 1) {
      std::string kv = narrow(e);
      if (kv.empty() || kv[0] == '=') continue; // the per-drive "=C:" entries
      std::string name = kv.substr(0, kv.find('='));
      if (util::starts_with(name, prefix)) out.push_back(name);
    }
    if (block) FreeEnvironmentStringsW(block);
    std::sort(out.begin(), out.end());
    return out;
  }

  RunResult run(const std::vector<std::string>& argv,
                std::chrono::milliseconds timeout) const override {
    if (argv.empty()) return {};
    std::vector<std::string> copy = argv;
    copy[0] = real(argv[0]);
    return run_program(copy, timeout);
  }

private:
  // Backslashes, the way Windows writes its paths.
  static std::string native(std::string path) {
    std::replace(path.begin(), path.end(), '/', '\\');
    return path;
  }

  // The path on this computer for a machine path: itself when live; under a root, the drive
  // letter becomes a folder.
  std::string real(const std::string& path) const {
    std::string p = native(path);
    if (m_root == "/") return p;
    std::string rest = p.size() >= 2 && p[1] == ':' ? std::string(1, p[0]) + p.substr(2) : p;
    if (!rest.empty() && rest[0] != '\\') rest = "\\" + rest;
    return native(m_root) + rest;
  }

  std::string m_root;
};

} // namespace

std::unique_ptr<Host> make_local_host(const std::string& root) {
  return std::make_unique<WindowsHost>(root);
}

} // namespace gpucfg::probe
