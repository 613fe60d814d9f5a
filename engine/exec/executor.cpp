#include "exec/executor.hpp"

#include "plan/plan_json.hpp"
#include "plan/tree.hpp"
#include "plan/winenv.hpp"
#include "probe/host.hpp"
#include "pyenv/build.hpp"
#include "source/archive.hpp"
#include "source/fetch.hpp"
#include "source/resolve.hpp"
#include "util/fileinfo.hpp"
#include "util/os.hpp"
#include "util/registry.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <thread>

namespace gpucfg::exec {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Test hook: GPUCFG_FAULT_STEP=K kills this process (SIGKILL) at its K-th checkpoint, and
// GPUCFG_FAULT_DELAY_MS slows each checkpoint so a test can kill it from outside at random.
void checkpoint() {
  static int count = 0;
  static const int fault = [] {
    const char* e = std::getenv("GPUCFG_FAULT_STEP");
    return e ? std::atoi(e) : -1;
  }();
  static const int delay = [] {
    const char* e = std::getenv("GPUCFG_FAULT_DELAY_MS");
    return e ? std::atoi(e) : 0;
  }();
  ++count;
  if (delay > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay));
  if (count == fault) util::kill_self();
}

std::string sibling(const std::string& host_path, const char* tag) {
  fs::path p(host_path);
  return (p.parent_path() / (std::string(".gpucfg-") + tag + "-" + p.filename().string())).string();
}

unsigned parse_mode(const std::string& m) {
  return m.empty() ? 0644u : static_cast<unsigned>(std::stoul(m, nullptr, 8));
}

// After a failed unpack: a cached archive is trusted by its name (its sha256) and size, so one
// damaged since it was fetched fails as "not an archive". Checked only now, when it costs
// nothing on the good path: such a file is removed, so the next apply fetches it anew.
std::optional<Status> damaged_in_cache(const plan::Action& a, const std::string& cache_dir) {
  for (const auto& art : a.artifacts) {
    std::string file = source::locate(art, cache_dir);
    if (art.sha256.empty() || file.empty() || file.rfind(cache_dir, 0) != 0) continue;
    std::string sha = util::sha256_file(file).value_or("");
    if (sha == art.sha256) continue;
    remove_file(file);
    return art.name + ": the cached copy " + file + " is damaged (its sha256 is " + sha +
           ", not the pinned one); it was removed: apply again to fetch it anew";
  }
  return std::nullopt;
}

// Unpacks an install-tree step's archives into `staged`, several at once, then adds the links a
// toolkit expects and NVIDIA's version.json. The file list comes back for the record.
Status unpack(const plan::Action& a, const std::string& staged, const ExecOptions& o,
              const std::string& platform_id, plan::TreeManifest* tree) {
  std::vector<source::ExtractJob> jobs;
  unsigned cores = o.jobs ? o.jobs : std::max(1u, std::thread::hardware_concurrency());
  for (const auto& art : a.artifacts) {
    std::string file = source::locate(art, o.cache_dir);
    if (file.empty()) return art.name + ": not on this computer (run `gpucfg fetch` first)";
    for (auto& job : source::extraction_jobs(file, source::extract_options(art), cores))
      jobs.push_back(std::move(job));
  }
  auto results = source::extract_many(jobs, staged, o.jobs);
  for (const auto& r : results)
    if (!r.error.empty()) return damaged_in_cache(a, o.cache_dir).value_or(r.error);
  source::finish_tree(staged, source::target_arch(platform_id));
  if (!a.content.empty() && !exists(staged + "/version.json"))
    if (Status s = write_file(staged + "/version.json", a.content, 0644); !s.empty()) return s;
  // The record keeps each file's hash as the extractor computed it while the bytes went by (no
  // second read), so plan --checksum can catch an edit that kept size and mtime.
  *tree = plan::scan_tree(staged, false, 1);
  std::map<std::string, std::string> hashes;
  for (auto& r : results)
    hashes.merge(r.file_sha256);
  for (auto& f : tree->files)
    if (f.kind == "file")
      if (auto it = hashes.find(f.path); it != hashes.end()) f.sha256 = it->second;
  return fsync_tree(staged);
}

class Transaction {
public:
  Transaction(StateStore& store, int target) : m_store(store), m_current(store.current()) {
    m_journal["generation"] = target;
    m_journal["steps"] = json::array();
    m_originals = store.originals();
  }

  // Journals the step before doing it, so a crash right after still knows how to undo it.
  Status note(json step) {
    m_journal["steps"].push_back(std::move(step));
    Status s = write_atomic(m_store.dir() + "/journal.json", m_journal.dump());
    checkpoint();
    return s;
  }

  // What the path was before gpucfg ever touched it, kept for destroy and rollback to 0.
  Status remember_original(const std::string& machine_path) {
    if (m_originals.count(machine_path)) return "";
    std::string h = m_store.host(machine_path);
    plan::ManagedEntry e;
    e.path = machine_path;
    auto st = util::lstat_info(h);
    if (!st)
      e.kind = "absent";
    else if (st->kind == util::FileInfo::Kind::symlink) {
      e.kind = "symlink";
      e.link_target = fs::read_symlink(h).string();
    } else if (st->kind == util::FileInfo::Kind::dir)
      e.kind = "tree";
    else {
      e.kind = "file";
      e.sha256 = util::sha256_file(h).value_or("");
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", st->mode);
      e.mode = mode;
      if (Status s = m_store.keep_blob(h, e.sha256); !s.empty()) return s;
    }
    m_originals[machine_path] = e;
    m_originals_changed = true;
    return "";
  }

  Status mkdirs(const std::string& host_dir) {
    std::vector<std::string> created;
    Status s = make_dirs(host_dir, &created);
    for (const auto& d : created)
      if (Status n = note({{"kind", "mkdir"}, {"path", d}}); !n.empty()) return n;
    return s;
  }

  // Where a recorded tree about to be replaced or removed is kept for rollback: trees/<its
  // record's sha256>, while it still is what the record says (a damaged tree could not be put
  // back as recorded). Empty: not kept. *bytes: what keeping it costs.
  std::string keep_for(const std::string& machine_path, std::uint64_t* bytes) {
    for (const auto& e : m_current.entries) {
      if (e.path != machine_path || e.kind != "tree" || e.sha256.empty()) continue;
      auto record = plan::read_tree_record(m_store.blob(e.sha256));
      if (!record ||
          !plan::tree_drift(*record, plan::scan_tree(m_store.host(e.path), false, 1), 1).empty())
        return "";
      *bytes = 0;
      for (const auto& f : record->files)
        *bytes += f.size;
      return m_store.kept_tree(e.sha256);
    }
    return "";
  }

  // The journal step for moving `target` to `backup`; a recorded tree is marked to be kept.
  json replace_step(const std::string& machine_path, const std::string& target,
                    const std::string& backup) {
    json step = {{"kind", "replace"}, {"path", target}, {"backup", backup}};
    std::uint64_t bytes = 0;
    if (std::string keep = keep_for(machine_path, &bytes); !keep.empty()) {
      step["keep"] = keep;
      step["bytes"] = bytes;
      step["tree"] = machine_path;
    }
    return step;
  }

  // Moves `staged` into `target` (machine path `machine_path`), backing the old one up beside it.
  Status swap_in(const std::string& staged, const std::string& target,
                 const std::string& machine_path) {
    if (exists(target)) {
      std::string backup = sibling(target, "old");
      remove_tree(backup);
      bool dir = fs::is_directory(fs::symlink_status(target));
      // Files and links: a hard link keeps the old one while the rename replaces it atomically.
      // Folders: moved aside (a folder cannot be hard linked).
      if (Status s = note(replace_step(machine_path, target, backup)); !s.empty()) return s;
      Status backed = dir ? rename_replace(target, backup) : hard_link(target, backup);
      if (!backed.empty()) return "back up " + target + " failed: " + backed;
      checkpoint();
    } else if (Status s = note({{"kind", "create"}, {"path", target}}); !s.empty()) {
      return s;
    }
    if (Status s = rename_replace(staged, target); !s.empty())
      return "rename into " + target + " failed: " + s;
    checkpoint();
    return fsync_parent(target);
  }

  // The parent folders of host path `h`, then a clean, journalled staging name beside it.
  Status stage(const std::string& h, std::string* staged) {
    if (Status s = mkdirs(fs::path(h).parent_path().string()); !s.empty()) return s;
    *staged = sibling(h, "new");
    if (Status s = note({{"kind", "staged"}, {"path", *staged}}); !s.empty()) return s;
    return remove_tree(*staged);
  }

  Status write(const plan::Action& a) {
    std::string h = m_store.host(a.path), staged;
    if (Status s = stage(h, &staged); !s.empty()) return s;
    std::string sha;
    Status s;
    // Rollback copies from gpucfg's blobs, cuDNN placement from its cache: paths on this computer.
    bool here = a.from_host || a.from.rfind(m_store.dir(), 0) == 0;
    std::string from = here ? a.from : m_store.host(a.from);
    if (!a.from.empty())
      s = copy_file(from, staged, parse_mode(a.mode), &sha);
    else {
      s = write_file(staged, a.content, parse_mode(a.mode));
      sha = util::sha256_hex(a.content);
    }
    if (!s.empty()) return s;
    if (!a.sha256.empty() && sha != a.sha256)
      return a.path + ": content sha256 " + sha + " is not the planned " + a.sha256 +
             "; nothing installed";
    checkpoint();
    return swap_in(staged, h, a.path);
  }

  Status symlink(const plan::Action& a) {
    std::string h = m_store.host(a.path), staged;
    if (Status s = stage(h, &staged); !s.empty()) return s;
    if (Status s = make_symlink(a.link_target, staged); !s.empty()) return s;
    return swap_in(staged, h, a.path);
  }

  Status install_tree(const plan::Action& a, const ExecOptions& o, const std::string& platform) {
    std::string h = m_store.host(a.path), staged;
    if (Status s = stage(h, &staged); !s.empty()) return s;
    if (a.artifacts.empty()) {
      if (Status s = copy_tree(m_store.host(a.from), staged); !s.empty()) return s;
      // Recorded as written now (hashed: no archive pin vouches for a folder's files), never
      // from an older record of the same path.
      m_trees[a.path] = plan::scan_tree(
          staged, true, o.jobs ? o.jobs : std::max(1u, std::thread::hardware_concurrency()));
    } else {
      if (Status s = make_dirs(staged, nullptr); !s.empty()) return s;
      plan::TreeManifest tree;
      if (Status s = unpack(a, staged, o, platform, &tree); !s.empty()) return s;
      m_trees[a.path] = std::move(tree);
    }
    checkpoint();
    return swap_in(staged, h, a.path);
  }

  // A framework environment is built where it will be used (its scripts name their folder), so
  // the folder is journalled as created before anything is written: undo removes it whole.
  Status build_env(const plan::Action& a, const ExecOptions& o) {
    std::string h = m_store.host(a.path);
    if (Status s = mkdirs(fs::path(h).parent_path().string()); !s.empty()) return s;
    if (exists(h) && a.change != "update")
      return a.path + " appeared since the plan; nothing was built";
    if (exists(h)) {
      // A repair: the damaged folder is moved aside (restored if the build fails), then rebuilt.
      if (Status s = move_aside(a.path); !s.empty()) return s;
    } else if (Status s = note({{"kind", "create"}, {"path", h}}); !s.empty()) {
      return s;
    }
    pyenv::BuildOptions bo;
    bo.cache_dir = o.cache_dir;
    bo.jobs = o.jobs;
    if (Status s = pyenv::build(h, a.from, a.artifacts, a.content, bo); !s.empty()) return s;
    m_trees[a.path] = plan::scan_tree(h, false, 1);
    checkpoint();
    return fsync_tree(h);
  }

  // A Windows variable, edited in the registry. The step keeps its value before, so undo (and
  // recovery after a kill) write it back; the original, before gpucfg, is kept for destroy.
  Status setenv(const plan::Action& a) {
    auto edit = plan::env_edit_from(a.content);
    if (!edit) return a.path + ": not a variable edit this gpucfg can apply";
    std::string error;
    auto now = util::read_env_var(edit->scope, edit->name, &error);
    if (!error.empty()) return error;
    if (!m_originals.count(a.path)) {
      plan::ManagedEntry e;
      e.path = a.path;
      e.kind = now ? "env" : "absent";
      e.value = now ? now->value : "";
      e.scope = edit->scope;
      m_originals[a.path] = e;
      m_originals_changed = true;
    }
    auto want = plan::edited(now ? std::optional<std::string>(now->value) : std::nullopt, *edit);
    json before = now ? json{{"value", now->value}, {"expand", now->expand}} : json(nullptr);
    if (Status s = note(
            {{"kind", "setenv"}, {"scope", edit->scope}, {"name", edit->name}, {"before", before}});
        !s.empty())
      return s;
    std::optional<util::RegistryValue> v;
    // PATH-like values keep their type; a new one expands %VARIABLES% only if it names any.
    if (want)
      v = util::RegistryValue{*want, now ? now->expand : want->find('%') != std::string::npos};
    m_env_changed = true;
    if (Status s = util::write_env_var(edit->scope, edit->name, v); !s.empty()) return s;
    checkpoint();
    return "";
  }
  bool env_changed() const { return m_env_changed; }

  // Trees unpacked in this transaction, listed: the record need not hash them.
  const std::map<std::string, plan::TreeManifest>& trees() const { return m_trees; }
  // Trees moved back from the keep: their record is the one they were kept under.
  const std::map<std::string, std::string>& tree_records() const { return m_tree_records; }

  // A folder gpucfg made, emptied by this transaction: only noted here, since the backups of
  // what was removed from it stay beside their paths until the commit; cleanup removes it then
  // (or leaves it, if anything else is in it by that time).
  Status remove_dir(const plan::Action& a) {
    std::string h = m_store.host(a.path);
    if (!exists(h)) return "";
    return note({{"kind", "rmdir"}, {"path", h}});
  }

  Status remove(const plan::Action& a) {
    std::string h = m_store.host(a.path);
    if (!exists(h)) return "";
    if (Status s = move_aside(a.path); !s.empty()) return s;
    return fsync_parent(h);
  }

  // Rollback: a kept tree is moved back into place, and the tree there now is kept in its turn.
  Status restore_tree(const plan::Action& a) {
    std::string h = m_store.host(a.path);
    if (!exists(a.from)) return a.path + ": the kept tree " + a.from + " is gone; nothing changed";
    if (Status s = mkdirs(fs::path(h).parent_path().string()); !s.empty()) return s;
    if (exists(h))
      if (Status s = move_aside(a.path); !s.empty()) return s;
    if (Status s = note({{"kind", "unkeep"}, {"path", h}, {"kept", a.from}}); !s.empty()) return s;
    if (Status s = rename_replace(a.from, h); !s.empty())
      return "moving " + a.from + " to " + h + " failed: " + s;
    checkpoint();
    m_tree_records[a.path] = a.sha256; // the record it was kept under describes it
    return fsync_parent(h);
  }

  // Renames machine path `p` to its backup beside it, journalled: undo moves it back, cleanup
  // deletes it (or keeps it, for a recorded tree).
  Status move_aside(const std::string& p) {
    std::string h = m_store.host(p), backup = sibling(h, "old");
    remove_tree(backup);
    if (Status s = note(replace_step(p, h, backup)); !s.empty()) return s;
    if (Status s = rename_replace(h, backup); !s.empty())
      return "moving " + h + " aside failed: " + s;
    checkpoint();
    return "";
  }

  Status ldconfig() {
    // The cache ldconfig writes is remembered as it was, so going back to before gpucfg can
    // remove one that only gpucfg's first ldconfig created (a scratch --root has none).
    if (Status s = remember_original(k_loader_cache); !s.empty()) return s;
    if (Status s = note({{"kind", "ldconfig"}}); !s.empty()) return s;
    return run_ldconfig(m_store);
  }

  // This computer's ldconfig (not one inside --root), by absolute path: PATH may lack sbin.
  static Status run_ldconfig(const StateStore& store) {
    auto host = probe::make_local_host("/");
    std::string ldconfig = "/sbin/ldconfig";
    for (const char* p : {"/sbin/ldconfig", "/usr/sbin/ldconfig"})
      if (host->is_executable(p)) {
        ldconfig = p;
        break;
      }
    std::vector<std::string> argv = {ldconfig};
    if (!store.root().empty()) argv.insert(argv.end(), {"-r", store.root()});
    auto r = host->run(argv, std::chrono::seconds(120));
    if (r.exit_code == 0) return "";
    return ldconfig + (store.root().empty() ? "" : " -r " + store.root()) + " failed (exit " +
           std::to_string(r.exit_code) + "): " + r.output.substr(0, 300);
  }

  // Undo in reverse order; used for failures and for recovery after a kill.
  static void undo(StateStore& store, const json& steps) {
    bool rerun_ldconfig = false;
    for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
      std::string kind = it->value("kind", ""), path = it->value("path", "");
      if (kind == "staged")
        remove_tree(path);
      else if (kind == "create")
        remove_tree(path);
      else if (kind == "replace") {
        std::string backup = it->value("backup", "");
        if (exists(backup)) {
          remove_tree(path);
          rename_replace(backup, path);
        }
      } else if (kind == "unkeep") {
        std::string kept = it->value("kept", "");
        if (exists(path) && !exists(kept)) rename_replace(path, kept);
      } else if (kind == "mkdir")
        remove_empty_dir(path);
      else if (kind == "setenv") {
        const json& b = (*it)["before"];
        std::optional<util::RegistryValue> v;
        if (b.is_object()) v = util::RegistryValue{b.value("value", ""), b.value("expand", false)};
        util::write_env_var(it->value("scope", "system"), it->value("name", ""), v);
        util::broadcast_env_change();
      }

      else if (kind == "ldconfig")
        rerun_ldconfig = true;
      if (!path.empty()) fsync_parent(path);
    }
    if (rerun_ldconfig) run_ldconfig(store);
  }

  // Past the commit point: the backups are deleted, except recorded trees, which are kept for
  // rollback (a rename into the state folder). What was kept, or could not be, is returned.
  static std::vector<std::string> cleanup(const json& steps) {
    std::vector<std::string> said, folders;
    for (const auto& step : steps)
      if (step.value("kind", "") == "rmdir") folders.push_back(step.value("path", ""));
    // Deepest first, once the backups inside are gone (below); a folder not empty stays.
    std::sort(folders.begin(), folders.end(),
              [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
    struct Folders {
      std::vector<std::string>& list;
      ~Folders() {
        for (const auto& f : list)
          if (remove_empty_dir(f).empty()) fsync_parent(f);
      }
    } remove_after{folders};
    for (const auto& step : steps) {
      if (step.value("kind", "") != "replace") continue;
      std::string backup = step.value("backup", ""), keep = step.value("keep", "");
      if (!keep.empty() && exists(backup) && !exists(keep)) {
        make_dirs(fs::path(keep).parent_path().string(), nullptr);
        std::string tree = step.value("tree", "");
        Status moved = rename_replace(backup, keep);
        if (moved.empty()) {
          said.push_back("kept the previous " + tree + " for rollback (" +
                         util::megabytes(step.value("bytes", std::uint64_t{0})) +
                         "; gpucfg gc frees it once no generation needs it)");
          fsync_parent(keep);
          continue;
        }
        // Another file system: a copy would take as long as the install, so it is not kept.
        said.push_back("the previous " + tree + " could not be kept (" + moved +
                       "): rolling back to it means applying its manifest again");
      }
      remove_tree(backup);
    }
    return said;
  }

  const json& journal() const { return m_journal; }
  Status save_originals() { return m_originals_changed ? m_store.save_originals(m_originals) : ""; }

private:
  StateStore& m_store;
  json m_journal;
  std::map<std::string, plan::ManagedEntry> m_originals;
  bool m_originals_changed = false;
  const plan::Generation m_current; // the generation this transaction replaces
  std::map<std::string, plan::TreeManifest> m_trees;
  std::map<std::string, std::string> m_tree_records; // restored trees: path -> record sha256
  bool m_env_changed = false;
};

// The record of every managed path as it is now, reusing hashes for files that did not change.
plan::Generation record(StateStore& store, const plan::Plan& p, int number,
                        const std::map<std::string, plan::TreeManifest>& fresh,
                        const std::map<std::string, std::string>& restored) {
  plan::Generation prev = store.current(), g;
  g.number = number;
  g.manifest = p.manifest.empty() ? p.notes.empty() ? "restore" : p.notes.front() : p.manifest;
  g.plan_fingerprint = p.fingerprint;
  std::time_t now = std::time(nullptr);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  g.created = when;
  // A manifest's apply replaces that manifest's entries; a restore (rollback, destroy: no
  // manifest) lists every entry itself.
  if (!p.manifest.empty())
    for (const auto& e : prev.entries)
      if (e.manifest != p.manifest) g.entries.push_back(e);
  for (const auto& m : p.managed) {
    plan::ManagedEntry e;
    e.path = m.path;
    e.resource = m.resource;
    e.manifest = m.manifest.empty() ? p.manifest : m.manifest;
    if (m.kind == "env") { // a Windows variable: its value now, from the registry
      std::string error;
      auto v = util::read_env_var(m.scope, m.path.substr(4), &error);
      e.kind = v ? "env" : "absent";
      e.value = v ? v->value : "";
      e.scope = m.scope;
      g.entries.push_back(e);
      continue;
    }
    std::string h = store.host(m.path);
    auto st = util::lstat_info(h);
    if (!st)
      e.kind = "absent";
    else if (st->kind == util::FileInfo::Kind::symlink && m.kind != "adopted") {
      e.kind = "symlink";
      e.link_target = fs::read_symlink(h).string();
    } else if (st->kind == util::FileInfo::Kind::dir || m.kind == "adopted") {
      // A tree: its file list with hashes, so plan can see later changes. Kept from the previous
      // record while that still describes it (hashing a toolkit takes seconds).
      e.kind = m.kind == "adopted" ? "adopted" : "tree";
      for (const auto& old : prev.entries)
        if (old.path == e.path && old.kind == e.kind) e.sha256 = old.sha256;
      if (auto it = fresh.find(e.path); it != fresh.end())
        store.keep_text(nlohmann::json(it->second.files).dump(), &e.sha256);
      if (auto it = restored.find(e.path); it != restored.end()) e.sha256 = it->second;
      if (e.sha256.empty()) {
        auto tree = plan::scan_tree(h, true, std::max(1u, std::thread::hardware_concurrency()));
        store.keep_text(nlohmann::json(tree.files).dump(), &e.sha256);
      }
    } else {
      e.kind = "file";
      e.size = st->size;
      e.mtime_ns = st->mtime_ns;
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", st->mode);
      e.mode = mode;
      for (const auto& old : prev.entries)
        if (old.path == e.path && old.size == e.size && old.mtime_ns == e.mtime_ns)
          e.sha256 = old.sha256;
      if (e.sha256.empty()) e.sha256 = util::sha256_file(h).value_or("");
      store.keep_blob(h, e.sha256);
    }
    g.entries.push_back(e);
  }
  return g;
}

} // namespace

std::string unsupported(const plan::Plan& p) {
  for (const auto& a : p.actions) {
    if (a.op == plan::Op::setenv && !util::registry_available())
      return "'" + a.path + "': Windows variables are set by gpucfg.exe on Windows; this build " +
             "has no registry";
    if (a.op == plan::Op::build_env && p.platform.rfind("windows", 0) == 0)
      return a.path + ": building a Python environment on Windows (Scripts\\python.exe, .exe "
                      "launchers) is not written yet; nothing was changed";
    if (a.op == plan::Op::install_tree && a.from.empty() && a.artifacts.empty())
      return a.path +
             ": the manifest names no source for this toolkit (cuda.source); nothing was changed";
    if (a.op == plan::Op::write && a.from.empty() && a.content.empty() &&
        a.resource == plan::Resource::cudnn)
      return a.path +
             ": the manifest names no source for cuDNN (cudnn.source); nothing was changed";
    if (a.op == plan::Op::write &&
        (a.from.rfind("http://", 0) == 0 || a.from.rfind("https://", 0) == 0))
      return a.path + ": downloads come with the sources work; use a local path or file:// for now";
  }
  return {};
}

// One action, by its kind. Every Op is named: a new one does not compile until it is handled.
Status perform(Transaction& tx, const plan::Action& a, const ExecOptions& o,
               const std::string& platform) {
  switch (a.op) {
  case plan::Op::write:
    return tx.write(a);
  case plan::Op::symlink:
    return tx.symlink(a);
  case plan::Op::install_tree:
    return tx.install_tree(a, o, platform);
  case plan::Op::build_env:
    return tx.build_env(a, o);
  case plan::Op::restore_tree:
    return tx.restore_tree(a);
  case plan::Op::remove:
  case plan::Op::remove_tree:
    return tx.remove(a);
  case plan::Op::remove_dir:
    return tx.remove_dir(a);
  case plan::Op::run:
    if (a.path == "ldconfig") return tx.ldconfig();
    return "unknown command '" + a.path + "'";
  case plan::Op::adopt:
    return ""; // nothing changes on disk; the record lists the tree's files
  case plan::Op::setenv:
    return tx.setenv(a);
  case plan::Op::unknown:
    break;
  }
  return std::string("unknown action '") + plan::to_string(a.op) + "'";
}

// The folders gpucfg made, after this transaction: those it made before and those its mkdir
// steps made, as far as they still exist (a folder this one removed drops out).
std::vector<std::string> created_folders(const StateStore& store, const json& journal) {
  std::set<std::string> folders;
  for (const auto& f : store.created_folders())
    folders.insert(f);
  const std::string& root = store.root();
  auto machine = [&](const std::string& h) {
    return h.rfind(root, 0) == 0 ? h.substr(root.size()) : "";
  };
  for (const auto& step : journal["steps"])
    if (step.value("kind", "") == "mkdir") folders.insert(machine(step.value("path", "")));
  for (const auto& step : journal["steps"]) // removed by this transaction's cleanup
    if (step.value("kind", "") == "rmdir") folders.erase(machine(step.value("path", "")));
  folders.erase("");
  std::vector<std::string> out;
  for (const auto& f : folders) {
    auto st = util::lstat_info(store.host(f));
    if (st && st->kind == util::FileInfo::Kind::dir) out.push_back(f);
  }
  return out;
}

ExecResult execute(StateStore& store, const plan::Plan& p, const ExecOptions& o) {
  ExecResult r;
  r.generation = store.current().number;
  if (p.has_errors() || !p.has_changes()) {
    r.ok = !p.has_errors();
    return r;
  }
  if (std::string why = unsupported(p); !why.empty()) {
    r.error = why;
    return r;
  }
  int target = r.generation + 1;
  Transaction tx(store, target);
  Status failed;
  for (const auto& a : p.actions) {
    if (!failed.empty()) break;
    if (a.op != plan::Op::run && a.op != plan::Op::setenv && a.op != plan::Op::adopt &&
        a.op != plan::Op::remove_dir) // a folder gpucfg made was, before it, absent
      failed = tx.remember_original(a.path);
    if (!failed.empty()) break;
    failed = perform(tx, a, o, p.platform);
    if (failed.empty())
      r.log.push_back(a.change + " " + plan::to_string(a.resource) + " " + a.path);
  }
  if (failed.empty()) {
    plan::Generation g = record(store, p, target, tx.trees(), tx.tree_records());
    failed = tx.save_originals();
    if (failed.empty()) failed = store.save_created_folders(created_folders(store, tx.journal()));
    if (failed.empty()) failed = store.commit(g); // the commit point
  }
  if (!failed.empty()) {
    Transaction::undo(store, tx.journal()["steps"]);
    remove_file(store.dir() + "/journal.json");
    r.error = failed + "; every change was undone";
    return r;
  }
  r.kept = Transaction::cleanup(tx.journal()["steps"]);
  remove_file(store.dir() + "/journal.json");
  if (tx.env_changed()) util::broadcast_env_change(); // once, after every variable is set
  r.ok = true;
  r.generation = target;
  return r;
}

std::string recover(StateStore& store) {
  // A kill between writing a temporary file and renaming it leaves the temporary behind.
  std::error_code ec;
  for (const char* sub : {"", "/generations", "/blobs"})
    for (fs::directory_iterator it(store.dir() + sub, ec), end; !ec && it != end; it.increment(ec))
      if (it->path().extension() == ".tmp") fs::remove(it->path(), ec);
  auto text = read_text(store.dir() + "/journal.json");
  if (!text) return {};
  auto j = json::parse(*text, nullptr, false);
  if (j.is_discarded()) {
    remove_file(store.dir() + "/journal.json");
    return "an interrupted transaction left an unreadable journal; it was removed";
  }
  int target = j.value("generation", 0);
  if (store.current().number >= target) {
    auto kept = Transaction::cleanup(j["steps"]);
    remove_file(store.dir() + "/journal.json");
    return "finished cleaning up generation " + std::to_string(target) +
           ", which was committed before gpucfg stopped" +
           (kept.empty() ? "" : "; " + util::join(kept, "; "));
  }
  Transaction::undo(store, j["steps"]);
  remove_file(store.dir() + "/journal.json");
  return "undid an interrupted transaction (" + std::to_string(j["steps"].size()) +
         " step(s)); the machine is back at generation " + std::to_string(store.current().number);
}

} // namespace gpucfg::exec
