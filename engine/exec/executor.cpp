#include "exec/executor.hpp"

#include "exec/packages.hpp"
#include "exec/place.hpp"
#include "exec/record.hpp"
#include "exec/transaction.hpp"
#include "plan/winenv.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <cstdio>
#include <set>

namespace gpucfg::exec {

namespace {

#ifdef _WIN32
constexpr bool k_windows_build = true;
#else
constexpr bool k_windows_build = false;
#endif

// What each managed path was before gpucfg first managed it, kept for destroy and rollback to 0.
// Every path the plan manages is remembered, changed or not: a link that already pointed where
// the manifest wants is still the machine's own, and destroy must leave it (or put it back).
class Originals {
public:
  explicit Originals(StateStore& state) : m_state(state), m_all(state.originals()) {}

  Status remember(const Machine& m, const std::string& machine_path) {
    if (m_all.count(machine_path)) return "";
    std::string h = m.host(machine_path);
    plan::ManagedEntry e;
    e.path = machine_path;
    auto st = m.disk.lstat(h);
    if (!st) {
      e.kind = "absent";
    } else if (st->kind == disk::Kind::symlink) {
      e.kind = "symlink";
      e.link_target = m.disk.read_link(h).value_or("");
    } else if (st->kind == disk::Kind::dir) {
      e.kind = "tree";
    } else {
      e.kind = "file";
      e.sha256 = m.disk.sha256(h).value_or("");
      e.mode = util::octal_mode(st->mode);
      e.size = st->size;
      e.mtime_ns = st->mtime_ns; // destroy puts it back as it was, time included
      if (Status s = m_state.keep_blob(h, e.sha256); !s.empty()) return s;
    }
    m_all[machine_path] = e;
    m_changed = true;
    return "";
  }

  // A Windows variable's value before gpucfg first set it.
  Status remember_variable(Machine& m, const plan::Action& a) {
    if (m_all.count(a.path)) return "";
    auto edit = plan::env_edit_from(a.content);
    if (!edit) return "";
    std::string error;
    auto now = m.registry.read(edit->scope, edit->name, &error);
    if (!error.empty()) return error;
    plan::ManagedEntry e;
    e.path = a.path;
    e.kind = now ? "env" : "absent";
    e.value = now ? now->value : "";
    e.scope = edit->scope;
    m_all[a.path] = e;
    m_changed = true;
    return "";
  }

  // A system package's version and hold before gpucfg first managed it.
  void remember_package(const std::string& path, const packages::InstalledMap& now) {
    if (m_all.count(path)) return;
    m_all[path] = package_entry(path, now);
    m_changed = true;
  }

  Status save() { return m_changed ? m_state.save_originals(m_all) : ""; }

private:
  StateStore& m_state;
  std::map<std::string, plan::ManagedEntry> m_all;
  bool m_changed = false;
};

// The folders gpucfg made, after this transaction: those it made before and those its steps
// made, as far as they still exist (a folder this one removed drops out).
std::vector<std::string> created_folders(const Machine& m, const StateStore& state,
                                         const Journal& j) {
  std::set<std::string> folders;
  for (const auto& f : state.created_folders())
    folders.insert(f);
  auto machine = [&](const std::string& h) {
    return h.rfind(m.root, 0) == 0 ? h.substr(m.root.size()) : "";
  };
  for (const auto& s : j.steps)
    if (s.kind == StepKind::made_dir) folders.insert(machine(s.path));
  for (const auto& s : j.steps) // removed by this transaction's cleanup
    if (s.kind == StepKind::remove_dir) folders.erase(machine(s.path));
  folders.erase("");
  std::vector<std::string> out;
  for (const auto& f : folders)
    if (disk::is_dir(m.disk, m.host(f))) out.push_back(f);
  return out;
}

} // namespace

std::string unsupported(const plan::Plan& p, const Machine& m) {
  for (const auto& a : p.actions) {
    if (a.op == plan::Op::setenv && !m.registry.available())
      return "'" + a.path + "': Windows variables are set by gpucfg.exe on Windows; this build " +
             "has no registry";
    if (a.op == plan::Op::build_env && (p.platform.rfind("windows", 0) == 0) != k_windows_build)
      return a.path + ": a Python environment is built by gpucfg on the system it is for (" +
             p.platform + "); nothing was changed";
    if (a.op == plan::Op::package && !m.packages)
      return a.path + ": this machine has no package manager gpucfg drives (apt and dpkg); "
                      "nothing was changed";
    if ((a.op == plan::Op::install_tree && a.from.empty() && a.artifacts.empty()) ||
        (a.op == plan::Op::write && a.from.empty() && a.content.empty() &&
         a.resource == plan::Resource::cudnn))
      return a.path + ": " + plan::no_source(a.resource, p.platform) + "; nothing was changed";
    if (a.op == plan::Op::write &&
        (a.from.rfind("http://", 0) == 0 || a.from.rfind("https://", 0) == 0))
      return a.path +
             ": a copy copies a file on this machine; downloads come only through a pinned source";
  }
  return {};
}

ExecResult execute(Machine& m, StateStore& state, const plan::Plan& p) {
  ExecResult r;
  plan::Generation current = state.current();
  r.generation = current.number;
  if (p.has_errors() || !p.has_changes()) {
    r.ok = !p.has_errors();
    return r;
  }
  if (std::string why = unsupported(p, m); !why.empty()) {
    r.error = why;
    return r;
  }
  int target = r.generation + 1;
  Transaction tx(m, state.journal_file(), target);
  Placed placed;
  PlaceContext ctx{tx, state, current, p.platform, placed};
  Originals originals(state);
  Status failed;
  // The system packages as they are, before the package manager's run (the first change).
  packages::InstalledMap packages_before;
  bool manages_packages = std::any_of(p.managed.begin(), p.managed.end(),
                                      [](const auto& w) { return w.kind == "package"; });
  if (manages_packages && m.packages) {
    std::string why;
    if (auto now = m.packages->installed(&why))
      packages_before = *now;
    else
      failed = why;
  }
  // Every managed path as it was before gpucfg, changed or not, then every action's own.
  for (const auto& want : p.managed)
    if (failed.empty() && want.kind == "package")
      originals.remember_package(want.path, packages_before);
    else if (failed.empty() && want.kind != "env" && want.kind != "adopted")
      failed = originals.remember(m, want.path);
  if (failed.empty()) failed = run_packages(m, tx, p, packages_before);
  for (const auto& a : p.actions) {
    if (!failed.empty()) break;
    if (a.op == plan::Op::package) {
      r.log.push_back(a.change + " package " + a.path);
      continue; // run above, all at once
    }
    if (a.op == plan::Op::setenv)
      failed = originals.remember_variable(m, a);
    else if (a.op == plan::Op::run && a.path == "ldconfig")
      // The cache ldconfig writes, as it was: going back to before gpucfg removes one that only
      // gpucfg's first ldconfig created (a scratch --root has none).
      failed = originals.remember(m, k_loader_cache);
    else if (a.op != plan::Op::run && a.op != plan::Op::adopt &&
             a.op != plan::Op::remove_dir) // a folder gpucfg made was, before it, absent
      failed = originals.remember(m, a.path);
    if (!failed.empty()) break;
    failed = place(ctx, a);
    if (failed.empty())
      r.log.push_back(a.change + " " + plan::to_string(a.resource) + " " + a.path);
  }
  if (failed.empty()) {
    plan::Generation g = record(m, state, p, target, placed);
    g.folders = created_folders(m, state, tx.journal());
    failed = originals.save();
    if (failed.empty()) failed = m.store.add_root(state.dir());
    if (failed.empty()) failed = state.commit(g); // the commit point
  }
  if (!failed.empty()) {
    Transaction::undo(m, tx.journal().steps);
    m.disk.remove(state.journal_file());
    std::string left = packages_not_back(m, p, packages_before);
    r.error = failed + (left.empty() ? "; every change was undone"
                                     : "; the other changes were undone, but " + left);
    // Written down where the next person looks (gpucfg's state folder), with how it was left.
    if (state.note_failure(target, p.manifest, r.error).empty())
      r.error += " (written to " + state.failure_file() + ")";
    return r;
  }
  Transaction::cleanup(m, tx.journal().steps);
  m.disk.remove(state.journal_file());
  m.disk.remove(state.failure_file()); // a later transaction committed: that one is history
  if (placed.variables_changed) m.registry.broadcast(); // once, after every variable is set
  r.ok = true;
  r.generation = target;
  r.said = placed.said;
  return r;
}

namespace {

// A path a journal may name: absolute, normal (no ".", "..", empty parts) and under the
// machine's root. The state folder is root's alone, so this is a second line: a journal that
// names anything else is not replayed at all.
bool journal_path_ok(const Machine& m, const std::string& p) {
  return util::plain_absolute_path(p) && disk::parent_of(p) != p &&
         (m.root.empty() || util::starts_with(p, m.root + "/"));
}

// Why a journal's steps cannot be the steps a transaction of this machine took; "" when they can.
std::string journal_problem(const Machine& m, const Journal& j) {
  for (std::size_t i = 0; i < j.steps.size(); ++i) {
    const Step& s = j.steps[i];
    std::string n = "step " + std::to_string(i + 1) + ": ";
    if (s.kind == StepKind::set_variable || s.kind == StepKind::ran_ldconfig ||
        s.kind == StepKind::packages)
      continue;
    if (!journal_path_ok(m, s.path)) return n + "'" + s.path + "' is not a path under the root";
    if (s.kind == StepKind::replaced && s.backup != sibling(s.path, "old"))
      return n + "the backup of " + s.path + " is not beside it ('" + s.backup + "')";
    if (s.kind == StepKind::staged && disk::leaf_of(s.path).rfind(".gpucfg-new-", 0) != 0)
      return n + "'" + s.path + "' is not a staging name";
  }
  return "";
}

} // namespace

std::string recover(Machine& m, StateStore& state, bool* refused) {
  if (refused) *refused = false;
  // A kill between writing a temporary file and renaming it leaves the temporary behind.
  for (const char* sub : {"", "/generations", "/blobs"})
    for (const auto& n : m.disk.list(state.dir() + sub))
      if (util::ends_with(n, ".tmp")) m.disk.remove(state.dir() + sub + "/" + n);
  auto text = m.disk.read(state.journal_file());
  if (!text) return {};
  std::string why;
  auto j = parse_journal(*text, &why);
  if (j) why = journal_problem(m, *j);
  if (!j || !why.empty()) {
    // Replaying half a journal could undo the wrong half: nothing is touched, and nothing may
    // change until a person has looked (the journal stays where it is).
    if (refused) *refused = true;
    return "an interrupted transaction left a journal this gpucfg cannot replay (" +
           state.journal_file() + ": " + why +
           "); nothing was undone. Finish it with the gpucfg that wrote it, or check the paths "
           "it names by hand and remove it";
  }
  if (state.current().number >= j->generation) {
    Transaction::cleanup(m, j->steps);
    m.disk.remove(state.journal_file());
    return "finished cleaning up generation " + std::to_string(j->generation) +
           ", which was committed before gpucfg stopped";
  }
  Transaction::undo(m, j->steps);
  m.disk.remove(state.journal_file());
  return "undid an interrupted transaction (" + std::to_string(j->steps.size()) +
         " step(s)); the machine is back at generation " + std::to_string(state.current().number);
}

} // namespace gpucfg::exec
