#include "verify/verify.hpp"

#include "platform/platform.hpp"
#include "probe/elf.hpp"
#include "probe/parsers.hpp"
#include "probe/probe.hpp"
#include "util/os.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"
#include "verify/verifier.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>

namespace gpucfg::verify {

namespace fs = std::filesystem;

int Report::count(const std::string& outcome) const {
  int n = 0;
  for (const auto& r : results)
    n += r.outcome == outcome;
  return n;
}

int level_rank(const std::string& level) {
  if (level == "static") return 0;
  if (level == "load") return 1;
  if (level == "compute") return 2;
  return 3;
}

nlohmann::ordered_json to_json(const Report& r) {
  nlohmann::ordered_json j;
  j["format_version"] = 1;
  j["passed"] = r.count("pass");
  j["failed"] = r.count("fail");
  j["not_run"] = r.count("not-run");
  j["results"] = nlohmann::ordered_json::array(); // present, and an array, even when empty
  for (const auto& x : r.results)
    j["results"].push_back({{"level", x.level},
                            {"check", x.check},
                            {"outcome", x.outcome},
                            {"detail", x.detail},
                            {"data", x.data}});
  return j;
}

namespace detail {

// libcudnn.so.9, not libcudnn.so (the linker's name) nor libcudnn.so.9.19.0 (the real file).
// (CUDA 11's runtime is libcudart.so.11.0, CUDA 10.0's libraries libcublas.so.10.0.)
bool is_soname(const std::string& file) {
  std::string v = probe::library_name_version(file);
  return !v.empty() && util::split(v, '.').size() <= 2;
}

// Versions that agree as far as both go: a header's 8.1.0 is the manifest's 8.1.0.77.
bool agrees(const util::Version& a, const util::Version& b) {
  return a.has_prefix(b) || b.has_prefix(a);
}

// The ELF headers of a library, read through a private mapping: no need to read 500 MB of
// libcublasLt to learn what it links against.
std::optional<probe::ElfDeps> elf_deps(const std::string& host_path) {
  util::MappedFile file(host_path);
  if (file.empty()) return std::nullopt;
  return probe::parse_elf_deps(std::string_view(file.data(), file.size()));
}

// Where a prefix keeps its libraries: lib64 in NVIDIA's trees, lib/<triplet> in Debian's /usr.
bool loadable_library(const std::string& file, const std::string& stem, bool windows,
                      bool prefix_only) {
  if (!windows) {
    std::string have = probe::library_stem(file);
    return (prefix_only ? util::starts_with(have, stem) : have == stem) && is_soname(file);
  }
  std::string name = file;
  for (auto& c : name)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string want = util::starts_with(stem, "lib") ? stem.substr(3) : stem;
  for (auto& c : want)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!util::ends_with(name, ".dll")) return false;
  return util::starts_with(name, want + "64_") || (prefix_only && util::starts_with(name, want));
}

std::vector<std::string> lib_dirs(const probe::Host& host, const std::string& prefix,
                                  bool windows) {
  std::vector<std::string> out;
  if (windows) {
    if (host.is_dir(prefix + "\\bin")) out.push_back(prefix + "\\bin");
    return out;
  }
  for (const char* d : {"lib64", "lib", "lib/x86_64-linux-gnu", "lib/aarch64-linux-gnu"})
    if (host.is_dir(prefix + "/" + d)) out.push_back(prefix + "/" + d);
  return out;
}

} // namespace detail

Report run(const manifest::Stack& stack, const probe::Facts& facts, const probe::Host& host,
           const Options& o) {
  // What the manifest names is looked at even where facts does not look (a toolkit at a prefix
  // of its own, a cuDNN in its own prefix): verify checks the stack the manifest describes.
  probe::Facts f = facts;
  // A cuDNN `into: cuda` is looked for in the toolkit's own folders (its prefix is the toolkit's).
  probe::gather_named(host, f, stack.cuda ? stack.cuda->prefix.value : "",
                      stack.cudnn ? stack.cudnn->prefix.value : "");
  detail::Verifier v{stack, f, host, o, {}, {}, {}, false, {}};
  // The workloads are built here, by this computer's compilers, whatever the root: a --root's
  // facts list the root's, which are never run.
  v.compilers = host.live() ? f.compilers : probe::gather_compilers(*probe::make_local_host("/"));
  if (!stack.cuda) {
    // A framework-only manifest (an adopted venv) promises no toolkit: at the framework level
    // its checks are the framework's, and a toolkit row would only turn a full pass into
    // "passed what could run". Below that level nothing else would be said, so say why.
    if (level_rank(o.level) < 3)
      v.not_run("static", "toolkit",
                "the manifest has no cuda section; its checks are at level framework");
  } else {
    v.prefix = stack.cuda->prefix.value;
    v.windows = stack.platform && stack.platform->os() == platform::Os::windows;
    v.libdir = v.prefix + (v.windows ? "\\bin" : "/lib64");
    int rank = level_rank(o.level);
    v.static_level();
    if (rank >= 1) v.load_level();
    if (rank >= 2) v.compute_level();
  }
  if (level_rank(o.level) >= 3) v.framework_level();
  return v.report;
}

} // namespace gpucfg::verify
