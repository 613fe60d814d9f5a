#include "probe/parsers.hpp"

#include "packages/version.hpp"
#include "util/strings.hpp"

#include <cctype>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <regex>

namespace gpucfg::probe {

std::optional<VersionJson> parse_version_json(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  VersionJson out;
  for (const auto& [key, value] : j.items()) {
    if (!value.is_object() || !value.contains("version") || !value["version"].is_string()) continue;
    if (key == "cuda") {
      // A runfile's version.json names the SDK by its build date (11.8.20220929): the release
      // is 11.8; the date is no version to compare.
      out.cuda = value["version"].get<std::string>();
      auto parts = util::split(out.cuda, '.');
      if (parts.size() == 3 && parts[2].size() == 8 && parts[2][0] == '2')
        out.cuda = parts[0] + "." + parts[1];
    } else
      out.components[key] = value["version"].get<std::string>();
  }
  if (out.cuda.empty()) return std::nullopt;
  return out;
}

// std::regex recurses per character it matches, so a long run of the input (a fuzzer's 35 KB
// line) overflows the stack: every regex here sees a bounded head of its input, far longer
// than any real version file, proc line or file name.
static std::string head(const std::string& text, std::size_t n) {
  return text.size() <= n ? text : text.substr(0, n);
}

std::optional<std::string> parse_version_txt(const std::string& text) {
  static const std::regex re(R"(CUDA Version\s+(\d+\.\d+(?:\.\d+)?))");
  std::smatch m;
  std::string bounded = head(text, 1024); // "CUDA Version 11.2.152", one line
  if (std::regex_search(bounded, m, re)) return m[1].str();
  return std::nullopt;
}

std::optional<std::string> parse_nvcc_version(const std::string& text) {
  // Not anchored on a line: 11.0+ adds a "Build cuda_…" line after the release line.
  static const std::regex re(R"(release (\d+)\.(\d+), V(\d+\.\d+\.\d+))");
  std::smatch m;
  std::string bounded = head(text, 4096); // nvcc --version: five short lines
  if (std::regex_search(bounded, m, re)) return m[3].str();
  return std::nullopt;
}

namespace {
// `#define NAME 12030`, read without a regex (std::regex recurses per character, and a header
// is untrusted input) and without trusting the number's length.
std::optional<long> define_value(const std::string& text, const std::string& name) {
  auto blank = [](char c) { return c == ' ' || c == '\t'; };
  for (std::size_t at = text.find('#'); at != std::string::npos; at = text.find('#', at + 1)) {
    std::size_t i = at + 1;
    while (i < text.size() && blank(text[i]))
      ++i;
    if (text.compare(i, 6, "define") != 0) continue;
    i += 6;
    std::size_t gap = i;
    while (i < text.size() && blank(text[i]))
      ++i;
    if (i == gap || text.compare(i, name.size(), name) != 0) continue;
    i += name.size();
    gap = i;
    while (i < text.size() && blank(text[i]))
      ++i;
    std::size_t digits = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])))
      ++i;
    if (i == gap || i == digits) continue;
    if (i - digits > 9) return std::nullopt; // no version number is that long
    return std::stol(text.substr(digits, i - digits));
  }
  return std::nullopt;
}
} // namespace

std::optional<std::string> parse_cudart_header(const std::string& text) {
  auto v = define_value(text, "CUDART_VERSION");
  if (!v) return std::nullopt;
  return std::to_string(*v / 1000) + "." + std::to_string((*v % 1000) / 10);
}

std::optional<std::string> parse_cudnn_header(const std::string& text) {
  auto major = define_value(text, "CUDNN_MAJOR");
  auto minor = define_value(text, "CUDNN_MINOR");
  auto patch = define_value(text, "CUDNN_PATCHLEVEL");
  if (!major || !minor || !patch) return std::nullopt;
  return std::to_string(*major) + "." + std::to_string(*minor) + "." + std::to_string(*patch);
}

std::optional<DriverProc> parse_driver_proc(const std::string& text) {
  // "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19 …"
  // "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  575.57.08  Release Build …"
  std::string first = head(text.substr(0, text.find('\n')), 512);
  if (first.find("NVRM version:") == std::string::npos) return std::nullopt;
  static const std::regex re(R"(Kernel Module(?: for \S+)?\s+(\d+\.\d+(?:\.\d+)?))");
  std::smatch m;
  if (!std::regex_search(first, m, re)) return std::nullopt;
  return DriverProc{m[1].str(),
                    first.find("Open Kernel Module") != std::string::npos ? "open" : "proprietary"};
}

std::optional<DistInfo> parse_dist_info_name(const std::string& dirname) {
  const std::string suffix = ".dist-info";
  if (!util::ends_with(dirname, suffix)) return std::nullopt;
  std::string stem = dirname.substr(0, dirname.size() - suffix.size());
  auto dash = stem.find('-');
  if (dash == std::string::npos || dash == 0 || dash + 1 >= stem.size()) return std::nullopt;
  return DistInfo{stem.substr(0, dash), stem.substr(dash + 1)};
}

namespace {

// Kernel module packages first: their version is the module a reboot loads.
const char* const k_driver_prefixes[] = {"nvidia-kernel-dkms", "nvidia-dkms-", "nvidia-open",
                                         "nvidia-driver",      "cuda-drivers", "libnvidia-compute"};

int driver_rank(const std::string& name) {
  for (int i = 0; i < 6; ++i)
    if (util::starts_with(name, k_driver_prefixes[i])) return i;
  return -1;
}

} // namespace

bool is_driver_package(const std::string& name) {
  return driver_rank(name) >= 0;
}

std::vector<std::array<std::string, 3>> parse_driver_packages(const std::string& text) {
  std::vector<std::array<std::string, 3>> out;
  std::size_t pos = 0;
  while ((pos = text.find("Package: ", pos)) != std::string::npos) {
    if (pos > 0 && text[pos - 1] != '\n') {
      pos += 9;
      continue;
    }
    std::size_t eol = text.find('\n', pos);
    std::string name =
        text.substr(pos + 9, (eol == std::string::npos ? text.size() : eol) - pos - 9);
    std::size_t end = text.find("\n\n", pos);
    if (end == std::string::npos) end = text.size();
    pos = eol == std::string::npos ? text.size() : eol;
    if (driver_rank(name) < 0) continue;
    std::string stanza = text.substr(pos, end - pos), version, state;
    for (const auto& line : util::split(stanza, '\n')) {
      if (util::starts_with(line, "Version: ")) version = util::trim(line.substr(9));
      if (util::starts_with(line, "Status: ")) {
        auto words = util::split(util::trim(line.substr(8)), ' ');
        state = words.size() == 3 ? words[2] : "";
      }
    }
    if (!version.empty() && state != "not-installed" && state != "config-files")
      out.push_back({util::trim(name), version, state});
  }
  return out;
}

std::string packaged_driver_version(const std::vector<std::array<std::string, 3>>& packages) {
  const std::array<std::string, 3>* best = nullptr;
  for (const auto& p : packages)
    if (p[2] == "installed" && (!best || driver_rank(p[0]) < driver_rank((*best)[0]))) best = &p;
  if (!best) return "";
  return packages::upstream_version((*best)[1]);
}

std::map<std::string, std::string> parse_dpkg_status(const std::string& text) {
  std::map<std::string, std::string> out;
  std::string package, version, status;
  auto flush = [&] {
    if (!package.empty() && !version.empty() &&
        util::ends_with(status, " ok installed")) // "install" or "hold" (apt-mark hold)
      out[package] = version;
    package.clear();
    version.clear();
    status.clear();
  };
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    if (line.empty())
      flush();
    else if (util::starts_with(line, "Package: "))
      package = std::string(line.substr(9));
    else if (util::starts_with(line, "Version: "))
      version = std::string(line.substr(9));
    else if (util::starts_with(line, "Status: "))
      status = std::string(line.substr(8));
    pos = end + 1;
  }
  flush();
  return out;
}

std::map<std::string, std::string> parse_os_release(const std::string& text) {
  std::map<std::string, std::string> out;
  for (const auto& raw : util::split(text, '\n')) {
    std::string line = util::trim(raw);
    auto eq = line.find('=');
    if (line.empty() || line[0] == '#' || eq == std::string::npos) continue;
    std::string value = line.substr(eq + 1);
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front())
      value = value.substr(1, value.size() - 2);
    out[line.substr(0, eq)] = value;
  }
  return out;
}

std::string library_name_version(const std::string& file) {
  auto so = file.find(".so.");
  if (so != std::string::npos) return file.substr(so + 4);
  // Windows: cudnn64_8.dll, cusolver64_11.dll, cudart64_110.dll
  static const std::regex dll(R"(64_(\d+)\.dll$)");
  std::smatch m;
  std::string name = file.size() > 255 ? std::string() : file; // no file name is longer
  if (std::regex_search(name, m, dll)) return m[1].str();
  return {};
}

std::string library_stem(const std::string& file) {
  auto so = file.find(".so");
  return so == std::string::npos ? file : file.substr(0, so);
}

std::optional<std::string> parse_compiler_version(const std::string& text) {
  // "gcc (Debian 12.2.0-14) 12.2.0", "Debian clang version 14.0.6", or a bare "12.2.0".
  static const std::regex re(R"((?:version |\) |^)(\d+\.\d+(?:\.\d+)?))");
  std::smatch m;
  // Bounded: std::regex recurses per character, so 2 MB of digits would overflow the stack.
  std::string first = text.substr(0, std::min(text.find('\n'), std::size_t(200)));
  if (std::regex_search(first, m, re)) return m[1].str();
  return std::nullopt;
}

std::vector<LdCacheEntry> parse_ld_so_cache(const std::string& bytes) {
  // glibc's cache_file_new: magic "glibc-ld.so.cache" + version "1.1", nlibs, len_strings,
  // flags (+ 3 bytes padding), extension offset, 3 unused words, then nlibs entries of
  // {int32 flags; uint32 key, value; uint32 osversion; uint64 hwcap}. Offsets in entries are
  // from the start of the new-format header. An old-format section may come first.
  static const char magic_new[] = "glibc-ld.so.cache1.1";
  static const char magic_old[] = "ld.so-1.7.0";
  std::vector<LdCacheEntry> out;
  std::size_t base = 0;
  if (bytes.compare(0, sizeof magic_old - 1, magic_old) == 0) {
    if (bytes.size() < 16) return out;
    std::uint32_t nold;
    std::memcpy(&nold, bytes.data() + 12, 4);
    base = 16 + static_cast<std::size_t>(nold) * 12; // old entries: flags, key, value (3 x int32)
    base = (base + 7) & ~static_cast<std::size_t>(7);
  }
  if (bytes.size() < base + 48 || bytes.compare(base, sizeof magic_new - 1, magic_new) != 0)
    return out;
  std::uint32_t nlibs;
  std::memcpy(&nlibs, bytes.data() + base + 20, 4);
  const std::size_t header = 48, entry = 24;
  if (nlibs > (bytes.size() - base - header) / entry) return out; // truncated or corrupt
  auto str_at = [&](std::uint32_t off) -> std::string {
    std::size_t p = base + off;
    if (p >= bytes.size()) return {};
    std::size_t end = bytes.find('\0', p);
    return bytes.substr(p, (end == std::string::npos ? bytes.size() : end) - p);
  };
  for (std::uint32_t i = 0; i < nlibs; ++i) {
    const char* e = bytes.data() + base + header + static_cast<std::size_t>(i) * entry;
    LdCacheEntry le;
    std::uint32_t key, value;
    std::memcpy(&le.flags, e, 4);
    std::memcpy(&key, e + 4, 4);
    std::memcpy(&value, e + 8, 4);
    le.name = str_at(key);
    le.path = str_at(value);
    if (!le.name.empty() && !le.path.empty()) out.push_back(std::move(le));
  }
  return out;
}

} // namespace gpucfg::probe
