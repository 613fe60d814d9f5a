// Host compilers: which ones nvcc could be given, and their versions.
//
// Asking a compiler its version (`g++ -dumpfullversion`) costs 10-30 ms each, and clang's
// driver more: four of them one after another were most of `gpucfg facts`. So the questions are
// asked at once (one thread each), and each answer is kept in a small cache keyed by the real
// file's path, size and mtime, like ccache's compiler check: a compiler that was not replaced
// answers from the cache. The cache is only a shortcut; a missing, unreadable or untrusted one
// means asking again.
#include "probe/parsers.hpp"
#include "probe/probe.hpp"
#include "util/os.hpp"
#include "util/strings.hpp"
#include "util/trust.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

namespace gpucfg::probe {
namespace {

struct Asked {
  Compiler c;
  std::string real;
  bool ask = false;            // run it for its full version
  std::string major_from_name; // a run's answer must agree with the file name's major
};

// "<root>|<real path>" -> {size, mtime_ns, version}
using Cache = nlohmann::json;

std::string cache_path(const std::string& dir) {
  return dir.empty() ? std::string() : dir + "/probe/compilers.json";
}

Cache read_cache(const std::string& path) {
  if (path.empty()) return Cache::object();
  // As root, a cache someone else could have written is not believed (it would only mislead a
  // report, but the rule is one rule: root reads what root owns).
  if (util::is_superuser() && util::untrusted(path)) return Cache::object();
  std::ifstream in(path);
  if (!in) return Cache::object();
  try {
    Cache c = Cache::parse(in);
    return c.is_object() && c.value("format", 0) == 1 ? c : Cache::object();
  } catch (const nlohmann::json::exception&) {
    return Cache::object();
  }
}

void write_cache(const std::string& path, Cache c) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  c["format"] = 1;
  std::string tmp =
      path + ".tmp." + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return;
    out << c.dump();
    if (!out.flush()) return fs::remove(tmp, ec), void();
  }
  fs::rename(tmp, path, ec); // atomic: a reader sees the old cache or the new one
  if (ec) fs::remove(tmp, ec);
}

std::string key(const Host& host, const std::string& real) {
  return host.root() + "|" + real;
}

} // namespace

std::vector<Compiler> gather_compilers(const Host& host, const std::string& cache_dir) {
  std::vector<Asked> found;
  std::set<std::string> seen;
  // The major version is in the real file's name on Debian-style systems (gcc -> gcc-12,
  // clang -> ../lib/llvm-14/bin/clang); running the compiler says 12.2.0.
  static const std::regex tail(R"(-(\d+(?:\.\d+)*)$)");
  static const std::regex llvm(R"(/llvm-(\d+)/)");
  for (const char* name : {"gcc", "g++", "clang", "clang++"}) {
    auto path = which(host, name);
    if (!path) continue;
    Asked k;
    k.c = {name, *path, "", {}};
    k.real = host.resolve(*path);
    seen.insert(k.real);
    std::smatch m;
    std::string base = basename(k.real);
    if (std::regex_search(base, m, tail) || std::regex_search(k.real, m, llvm)) {
      k.c.version = k.major_from_name = m[1].str();
      k.c.evidence = "file:" + k.real;
    }
    k.ask = k.c.version.find('.') == std::string::npos;
    found.push_back(std::move(k));
  }
  // Compilers off PATH that nvcc may be given (-ccbin, CUDAHOSTCXX): versioned ones beside the
  // default (g++-10 next to g++ 12) and a private toolchain in /opt/gcc.
  auto extra = [&](const std::string& path, const std::string& name) {
    if (!host.is_executable(path)) return;
    std::string real = host.resolve(path);
    if (!seen.insert(real).second) return;
    Asked k;
    k.c = {name, path, "", {}};
    k.real = real;
    k.ask = true;
    found.push_back(std::move(k));
  };
  static const std::regex versioned(R"(^g\+\+-(\d+)$)");
  for (const auto& f : host.list("/usr/bin"))
    if (f.size() < 16 && std::regex_match(f, versioned)) extra(join("/usr/bin", f), f);
  for (const char* d : {"/opt/gcc/bin", "/usr/local/gcc/bin"})
    extra(join(d, "g++"), std::string("g++ (") + d + ")");
  if (auto cxx = host.env("CUDAHOSTCXX"); cxx && !cxx->empty() && (*cxx)[0] == '/')
    extra(*cxx, "CUDAHOSTCXX");

  // Answers from the cache where the file is the one asked before; the rest asked at once.
  const std::string file = cache_path(cache_dir);
  Cache cache = read_cache(file);
  bool changed = false;
  std::vector<std::pair<Asked*, std::future<RunResult>>> asked;
  std::vector<std::pair<Asked*, std::string>> answers;
  for (auto& k : found) {
    if (!k.ask) continue;
    auto st = host.lstat(k.real);
    const Cache* hit = nullptr;
    if (st && cache.contains(key(host, k.real))) {
      const Cache& e = cache[key(host, k.real)];
      if (e.value("size", std::uint64_t{0}) == st->size &&
          e.value("mtime_ns", std::int64_t{0}) == st->mtime_ns)
        hit = &e;
    }
    if (hit) {
      answers.emplace_back(&k, hit->value("version", std::string()));
      continue;
    }
    std::vector<std::string> argv = {k.c.path, "-dumpfullversion", "-dumpversion"};
    asked.emplace_back(&k, std::async(std::launch::async, [&host, argv] {
      return host.run(argv, std::chrono::milliseconds(2000));
    }));
  }
  for (auto& [k, f] : asked) {
    RunResult r = f.get();
    std::string v = parse_compiler_version(r.output).value_or("");
    answers.emplace_back(k, v);
    // A refusal (as root, a compiler another user could replace) or a timeout is not an answer
    // about this file: it is asked again next time.
    auto st = host.lstat(k->real);
    if (st && r.exit_code == 0 && !r.timed_out) {
      cache[key(host, k->real)] = {{"size", st->size}, {"mtime_ns", st->mtime_ns}, {"version", v}};
      changed = true;
    }
  }
  for (auto& [k, v] : answers) {
    if (v.empty()) continue;
    if (!k->major_from_name.empty() && !util::starts_with(v, k->major_from_name + ".")) continue;
    k->c.version = v;
    k->c.evidence = "command:" + k->c.path + " -dumpfullversion";
  }
  if (changed && !file.empty()) write_cache(file, std::move(cache));

  std::vector<Compiler> out;
  for (auto& k : found)
    out.push_back(std::move(k.c));
  return out;
}

} // namespace gpucfg::probe
