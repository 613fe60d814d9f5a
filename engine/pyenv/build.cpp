#include "pyenv/build.hpp"

#include "disk/real_disk.hpp"
#include "platform/platform.hpp"
#include "probe/host.hpp"
#include "pyenv/sdist.hpp"
#include "pyenv/windows.hpp"
#include "source/archive.hpp"
#include "source/fetch.hpp"
#include "store/key.hpp"
#include "store/materialize.hpp"
#include "util/os.hpp"
#include "util/process.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"
#include "util/trust.hpp"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

namespace gpucfg::pyenv {

namespace fs = std::filesystem;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The environment's own copy of a file: whatever is at the name goes first (a hard link into
// the store must never be written through), then a new file is made.
bool write_text(const std::string& path, const std::string& text, unsigned mode) {
  disk::Disk& d = disk::real_disk();
  d.remove(path);
  return d.write(path, text, mode).empty();
}

// RECORD's hash form: sha256=<urlsafe base64, unpadded>.
std::string record_hash(const std::string& data) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string hex = util::sha256_hex(data), raw, out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    raw += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  for (std::size_t i = 0; i < raw.size(); i += 3) {
    unsigned n = static_cast<unsigned char>(raw[i]) << 16;
    if (i + 1 < raw.size()) n |= static_cast<unsigned char>(raw[i + 1]) << 8;
    if (i + 2 < raw.size()) n |= static_cast<unsigned char>(raw[i + 2]);
    out += k[(n >> 18) & 63];
    out += k[(n >> 12) & 63];
    if (i + 1 < raw.size()) out += k[(n >> 6) & 63];
    if (i + 2 < raw.size()) out += k[n & 63];
  }
  return "sha256=" + out;
}

// The path column of a RECORD row (quoted when it holds a comma).
std::string record_path(const std::string& row) {
  if (!row.empty() && row[0] == '"') return row.substr(1, row.find('"', 1) - 1);
  return row.substr(0, row.find(','));
}

// A wheel's .dist-info folder, relative to the environment: name-version from its file name.
std::string dist_info(const std::string& site, const source::Artifact& wheel) {
  auto parts = util::split(wheel.file, '-');
  return site + "/" + parts[0] + "-" + parts[1] + ".dist-info";
}

// Where an environment keeps its programs: bin/ with #! scripts, or on Windows Scripts\ with
// .exe launchers and <name>-script.py beside them (pyenv/windows.hpp).
struct Programs {
  bool windows = false;
  std::string dir;    // "bin" or "Scripts", relative to the environment
  std::string python; // the environment's interpreter, absolute
};

// "../" once per folder of site-packages: from there to the environment (RECORD's paths).
std::string up_from(const std::string& site) {
  std::string up = "../";
  for (char c : site)
    if (c == '/') up += "../";
  return up;
}

// One installed wheel's finishing touches, as pip makes them: `#!python` scripts pointed at the
// environment's interpreter, launchers for its entry points, INSTALLER, and a RECORD that lists
// where the files really went (so `pip uninstall` and `pip show -f` work in the environment).
std::string finish_wheel(const std::string& dir, const std::string& site,
                         const source::Artifact& wheel, const Programs& programs) {
  std::string info = dist_info(site, wheel);
  if (!fs::is_directory(dir + "/" + info)) return wheel.file + ": no " + info + " inside";
  const std::string& python = programs.python;
  std::string up = up_from(site);
  std::string record;
  auto row_of = [&](const std::string& where, const std::string& text) {
    return where + "," + record_hash(text) + "," + std::to_string(text.size()) + "\n";
  };
  for (const auto& row : util::split(slurp(dir + "/" + info + "/RECORD"), '\n')) {
    if (util::trim(row).empty()) continue;
    std::string path = record_path(row);
    std::string mapped = source::map_python_entry(path, site);
    if (mapped.empty()) continue;
    std::string rest = row.substr(row.find(',', row[0] == '"' ? row.find('"', 1) : 0));
    if (util::starts_with(mapped, "bin/")) mapped = programs.dir + mapped.substr(3);
    if (util::starts_with(mapped, programs.dir + "/") &&
        path.find(".data/scripts/") != std::string::npos) {
      std::string text = slurp(dir + "/" + mapped);
      if (util::starts_with(text, "#!python")) {
        text = "#!" + python + text.substr(text.find_first_of("\r\n"));
        if (!write_text(dir + "/" + mapped, text, 0755)) return "cannot rewrite " + mapped;
        rest = "," + record_hash(text) + "," + std::to_string(text.size());
      }
    }
    std::string where =
        util::starts_with(mapped, site + "/") ? mapped.substr(site.size() + 1) : up + mapped;
    record += (where.find(',') != std::string::npos ? "\"" + where + "\"" : where) + rest + "\n";
  }
  for (const auto& [name, target] : entry_points(slurp(dir + "/" + info + "/entry_points.txt"))) {
    if (name.find_first_of("/\\") != std::string::npos)
      return wheel.file + ": the script name " + name + " is not a file name";
    std::string at = programs.dir + "/" + name;
    if (programs.windows) { // the launcher runs <name>-script.py beside it
      std::string text = entry_script(target);
      const std::string& exe = windows_launcher();
      if (exe.empty()) return wheel.file + ": this build of gpucfg has no Windows launcher";
      if (!write_text(dir + "/" + at + ".exe", exe, 0755) ||
          !write_text(dir + "/" + at + "-script.py", text, 0644))
        return wheel.file + ": cannot write the script " + name;
      record += row_of(up + at + ".exe", exe) + row_of(up + at + "-script.py", text);
      continue;
    }
    std::string text = launcher(python, target);
    if (!write_text(dir + "/" + at, text, 0755))
      return wheel.file + ": cannot write the script " + name;
    record += row_of(up + at, text);
  }
  const std::string installer = "gpucfg\n";
  if (!write_text(dir + "/" + info + "/INSTALLER", installer, 0644))
    return "cannot write " + info + "/INSTALLER";
  std::string prefix = info.substr(site.size() + 1);
  record += row_of(prefix + "/INSTALLER", installer) + prefix + "/RECORD,,\n";
  if (!write_text(dir + "/" + info + "/RECORD", record, 0644))
    return "cannot write " + info + "/RECORD";
  return "";
}

// Bytecode workers: interpreters of the new environment that compile the files they are sent,
// one path per line, as each wheel lands, so compiling overlaps unpacking instead of following
// it. Sockets, not pipes: a worker that died must not kill gpucfg with SIGPIPE (MSG_NOSIGNAL).
// A file that does not compile (a module kept for another Python version) stays source only,
// as pip leaves it.
class Compilers {
public:
  Compilers(const std::string& python, unsigned n) {
    static const char* code = "import sys, py_compile\n"
                              "for line in sys.stdin:\n"
                              "    try:\n"
                              "        py_compile.compile(line.rstrip('\\n'), doraise=True)\n"
                              "    except Exception:\n"
                              "        pass\n";
    for (unsigned i = 0; i < n; ++i) {
      auto w =
          std::make_unique<util::FedProcess>(std::vector<std::string>{python, "-I", "-c", code});
      if (!w->started()) break;
      m_workers.push_back(std::move(w));
    }
  }
  ~Compilers() { finish(); }

  void add(const std::vector<std::string>& files) {
    if (m_workers.empty()) return;
    std::lock_guard<std::mutex> lock(m_mutex);
    for (const auto& f : files) // a worker gone: its files stay source only
      m_workers[m_next++ % m_workers.size()]->write(f + "\n");
  }

  void finish() {
    for (auto& w : m_workers)
      w->finish();
    m_workers.clear();
  }

private:
  std::vector<std::unique_ptr<util::FedProcess>> m_workers;
  std::size_t m_next = 0;
  std::mutex m_mutex;
};

// The .py files a wheel put into site-packages, from its own RECORD (scripts are not compiled).
std::vector<std::string> python_files(const std::string& dir, const std::string& site,
                                      const source::Artifact& wheel) {
  std::vector<std::string> out;
  std::string info = dist_info(site, wheel);
  for (const auto& row : util::split(slurp(dir + "/" + info + "/RECORD"), '\n')) {
    std::string mapped = source::map_python_entry(record_path(row), site);
    if (util::ends_with(mapped, ".py") && util::starts_with(mapped, site + "/"))
      out.push_back(dir + "/" + mapped);
  }
  return out;
}

} // namespace

std::vector<std::pair<std::string, std::string>> entry_points(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> out;
  bool scripts = false;
  for (const auto& raw : util::split(text, '\n')) {
    std::string line = util::trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line[0] == '[') {
      scripts = line == "[console_scripts]" || line == "[gui_scripts]";
      continue;
    }
    auto eq = line.find('=');
    if (!scripts || eq == std::string::npos) continue;
    std::string target = util::trim(line.substr(eq + 1));
    target = util::trim(target.substr(0, target.find('['))); // extras do not change the call
    out.emplace_back(util::trim(line.substr(0, eq)), target);
  }
  return out;
}

std::string entry_script(const std::string& target) {
  auto colon = target.find(':');
  std::string module = target.substr(0, colon);
  std::string attr = colon == std::string::npos ? "" : target.substr(colon + 1);
  std::string head = attr.substr(0, attr.find('.'));
  // argv[0] as the user typed it: without a Windows launcher's "-script.py(w)" or ".exe".
  return "# -*- coding: utf-8 -*-\nimport re\nimport sys\nfrom " + module + " import " + head +
         "\nif __name__ == \"__main__\":\n" +
         "    sys.argv[0] = re.sub(r\"(-script\\.pyw?|\\.exe)?$\", \"\", sys.argv[0])\n" +
         "    sys.exit(" + attr + "())\n";
}

std::string launcher(const std::string& python, const std::string& target) {
  return "#!" + python + "\n" + entry_script(target);
}

namespace {

// Where a wheel's files go in its store tree: the python layout with site-packages at
// "site-packages", mapped to the environment's own when the tree is linked in.
constexpr const char* k_site = "site-packages";

// The interpreter's bytecode tag (sys.implementation.cache_tag): a wheel's tree holds bytecode
// for one, so the tag is part of its key.
std::string cache_tag(const probe::Host& host, const std::string& python,
                      std::chrono::seconds timeout) {
  auto r =
      host.run({python, "-I", "-c", "import sys; print(sys.implementation.cache_tag)"}, timeout);
  return r.exit_code == 0 ? util::trim(r.output) : "";
}

// Python's X.Y.Z, for pyvenv.cfg.
std::string python_version(const probe::Host& host, const std::string& python,
                           std::chrono::seconds timeout) {
  auto r = host.run({python, "-I", "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"},
                    timeout);
  return r.exit_code == 0 ? util::trim(r.output) : "";
}

// The interpreter runs as root here (venv, bytecode, the import check): one another user could
// replace is not run (the Host says so too, for the runs it makes).
std::optional<std::string> refused(const std::string& python) {
  if (!util::is_superuser() || util::single_user()) return std::nullopt;
  auto why = util::untrusted(python);
  if (!why) return std::nullopt;
  return python + " was not run: " + *why +
         "; as root gpucfg runs only what root and the system own (set GPUCFG_SINGLE_USER=1 on a "
         "machine with no other user)";
}

// The wheels the store has no whole tree for, unpacked (several at once; a framework's big wheel
// by one extractor per core) and compiled, each into a folder of its own, then added to the
// store under its key. Compiling overlaps unpacking: each wheel's files go to the workers as
// soon as its jobs are done.
std::string add_wheel_trees(store::Store& st, const std::vector<source::Artifact>& wheels,
                            const std::vector<std::string>& keys, const std::string& python,
                            const BuildOptions& o) {
  disk::Disk& d = st.disk();
  unsigned cores = o.jobs ? o.jobs : util::usable_cores();
  std::vector<std::size_t> todo;
  for (std::size_t i = 0; i < wheels.size(); ++i)
    if (!st.has_tree(keys[i])) todo.push_back(i);
  if (todo.empty()) return "";
  std::vector<std::string> dirs(wheels.size());
  std::vector<source::ExtractJob> jobs;
  std::vector<std::size_t> wheel_of;
  for (std::size_t i : todo) {
    const auto& w = wheels[i];
    std::string file = source::locate(w, st.dir());
    if (file.empty()) return w.name + ": not on this computer (run `gpucfg fetch` first)";
    dirs[i] =
        st.tmp_dir() + "/wheel-" + keys[i].substr(0, 16) + "-" + std::to_string(util::process_id());
    d.remove_tree(dirs[i]);
    if (std::string s = disk::make_dirs(d, dirs[i]); !s.empty()) return s;
    source::ExtractOptions eo = source::extract_options(w);
    eo.layout = source::Layout::python;
    eo.site_packages = k_site;
    for (auto& job : source::extraction_jobs(file, eo, cores)) {
      job.dest = dirs[i];
      jobs.push_back(std::move(job));
      wheel_of.push_back(i);
    }
  }
  struct Cleanup {
    disk::Disk& d;
    std::vector<std::string>& dirs;
    ~Cleanup() {
      for (const auto& dir : dirs)
        if (!dir.empty()) d.remove_tree(dir);
    }
  } cleanup{d, dirs};
  Compilers compilers(python, cores);
  std::vector<std::atomic<unsigned>> pending(wheels.size());
  for (std::size_t j = 0; j < jobs.size(); ++j)
    ++pending[wheel_of[j]];
  std::vector<std::map<std::string, std::string>> hashes(wheels.size());
  std::mutex hashes_mutex;
  auto landed = [&](std::size_t j) {
    std::size_t i = wheel_of[j];
    if (--pending[i] == 0) compilers.add(python_files(dirs[i], k_site, wheels[i]));
  };
  auto results = source::extract_many(jobs, "", o.jobs, landed);
  for (std::size_t j = 0; j < results.size(); ++j) {
    if (!results[j].error.empty()) return results[j].error;
    std::lock_guard<std::mutex> lock(hashes_mutex);
    hashes[wheel_of[j]].merge(results[j].file_sha256);
  }
  compilers.finish();
  for (std::size_t i : todo) {
    std::string prepared = dirs[i];
    auto fill = [&](const std::string& dir, store::TreeManifest* files) -> std::string {
      for (const auto& [path, sha] : hashes[i])
        files->files.push_back({path, "file", 0, 0, sha, 0});
      // In place of the empty folder add_tree made (a private name in the store's tmp/): POSIX
      // rename replaces an empty folder, Windows' MoveFileEx replaces files only.
      if (std::string s = d.remove_dir(dir); !s.empty()) return s;
      return d.rename(prepared, dir);
    };
    if (std::string s =
            st.add_tree(keys[i], {wheels[i].file + " sha256:" + wheels[i].sha256}, fill, false);
        !s.empty())
      return s;
    dirs[i].clear(); // moved into the store
  }
  return "";
}

} // namespace

std::string prepare(const std::string& python, const std::vector<source::Artifact>& wheels,
                    const BuildOptions& o) {
  if (!o.store) return "no store to prepare the wheels in";
  if (auto why = refused(python)) return *why;
  auto host = probe::make_local_host("/");
  // The base interpreter's tag and bytecode are its venv's: the same binary.
  std::string tag = cache_tag(*host, python, o.timeout);
  if (tag.empty()) return python + " does not say its bytecode tag";
  std::vector<source::Artifact> todo;
  std::vector<std::string> keys;
  for (const auto& w : wheels) {
    std::string key = store::wheel_key(w, tag);
    if (key.empty() || !util::ends_with(w.file, ".whl")) continue;
    todo.push_back(w);
    keys.push_back(key);
  }
  return add_wheel_trees(*o.store, todo, keys, python, o);
}

std::string build(const std::string& dir, const std::string& python,
                  const std::vector<source::Artifact>& locked, const std::string& marker,
                  const BuildOptions& o, std::vector<std::string>* uses) {
  auto spec = nlohmann::json::parse(marker, nullptr, false);
  if (spec.is_discarded()) return "the environment's description is not JSON";
  if (!o.store) return "no store to build the environment from";
  store::Store& st = *o.store;
  std::string site = spec.value("site_packages", "");
  if (auto why = refused(python)) return *why;
  auto host = probe::make_local_host("/");
  const bool windows = platform::host().os() == platform::Os::windows;
  Programs programs{windows, windows ? "Scripts" : "bin", ""};
  if (windows) {
    // gpucfg writes the skeleton (pyenv/windows.hpp): an embeddable base has no venv to run.
    std::string version = python_version(*host, python, o.timeout);
    if (version.empty()) return python + " does not say its version";
    if (std::string s = make_windows_skeleton(st.disk(), dir, python, version); !s.empty())
      return s;
  } else {
    // The interpreter's own venv module: pyvenv.cfg, the bin/python links and the folders are
    // exactly what that Python expects. No pip inside: the environment is built from the lock.
    auto r = host->run({python, "-m", "venv", "--without-pip", dir}, o.timeout);
    if (r.exit_code != 0)
      return python + " -m venv failed (exit " + std::to_string(r.exit_code) +
             "): " + util::trim(r.output).substr(0, 600);
  }
  if (!fs::is_directory(dir + "/" + site))
    return python + " made no " + site + " in " + dir + "; is it the Python the lock is for?";
  std::string bin = dir + (windows ? "/Scripts/python.exe" : "/bin/python");
  programs.python = windows ? windows_path(bin) : bin;
  std::string tag = cache_tag(*host, bin, o.timeout);
  if (tag.empty()) return bin + " does not say its bytecode tag (sys.implementation.cache_tag)";
  // Locked sdists become wheels first (built once per interpreter, kept in the store).
  std::vector<source::Artifact> wheels = locked;
  if (std::string s = build_sdists(wheels, python, tag, o); !s.empty()) return s;

  // Each wheel's tree in the store, whole: a damaged one (a write through an environment's
  // link reaches it) is made anew.
  std::vector<std::string> keys;
  for (const auto& w : wheels) {
    std::string key = store::wheel_key(w, tag);
    if (key.empty()) return w.name + ": not pinned";
    if (st.has_tree(key) && !st.check(key, o.checksum).empty()) st.discard_files(key);
    keys.push_back(key);
  }
  if (std::string s = add_wheel_trees(st, wheels, keys, bin, o); !s.empty()) return s;

  // Linked in: site-packages to the environment's own, everything else where it lies.
  // On Windows bin/ is Scripts\ (where pip puts a wheel's scripts there).
  std::string prefix = std::string(k_site) + "/";
  auto to_env = [&](const std::string& rel) {
    if (rel == k_site) return site;
    if (util::starts_with(rel, prefix)) return site + "/" + rel.substr(prefix.size());
    if (windows && (rel == "bin" || util::starts_with(rel, "bin/")))
      return programs.dir + rel.substr(3);
    return rel;
  };
  for (std::size_t i = 0; i < wheels.size(); ++i) {
    auto made = store::materialize(st, keys[i], dir, to_env, true);
    if (!made.error.empty()) return wheels[i].file + ": " + made.error;
  }
  for (const auto& w : wheels)
    if (std::string err = finish_wheel(dir, site, w, programs); !err.empty()) return err;

  // The import check, isolated (-I) from the caller's PYTHONPATH and user site-packages, so it
  // proves this environment and nothing beside it.
  std::string code;
  for (const auto& m : spec.value("imports", std::vector<std::string>{}))
    code += "import " + m + "\n";
  if (!code.empty()) {
    auto imp = host->run({bin, "-I", "-c", code}, o.timeout);
    std::string out = util::trim(imp.output);
    if (imp.exit_code != 0) // the traceback's end says what failed
      return "the new environment cannot import what the manifest names (exit " +
             std::to_string(imp.exit_code) +
             "): " + out.substr(out.size() > 800 ? out.size() - 800 : 0);
  }
  if (!write_text(dir + "/gpucfg-env.json", marker, 0644))
    return "cannot write " + dir + "/gpucfg-env.json";
  if (uses) *uses = keys;
  return "";
}

} // namespace gpucfg::pyenv
