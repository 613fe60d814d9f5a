#include "exec/transaction.hpp"

#include "util/fault.hpp"

#include <algorithm>
#include <chrono>

namespace gpucfg::exec {

std::string sibling(const std::string& host_path, const char* tag) {
  return disk::parent_of(host_path) + "/.gpucfg-" + tag + "-" + disk::leaf_of(host_path);
}

Transaction::Transaction(Machine& m, std::string journal_file, int generation)
    : m_machine(m), m_file(std::move(journal_file)) {
  m_journal.generation = generation;
}

Status Transaction::note(Step step) {
  m_journal.steps.push_back(std::move(step));
  Status s = disk::write_atomic(m_machine.disk, m_file, to_text(m_journal));
  util::checkpoint();
  return s;
}

Status Transaction::make_dirs(const std::string& host_dir) {
  std::vector<std::string> missing;
  disk::Disk& d = m_machine.disk;
  for (std::string p = host_dir;
       !p.empty() && p != "/" && p != disk::parent_of(p) && !disk::exists(d, p);
       p = disk::parent_of(p))
    missing.push_back(p);
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    // Journalled first: a kill between the two leaves a step whose undo finds nothing to do.
    if (Status s = note({StepKind::made_dir, *it}); !s.empty()) return s;
    if (Status s = d.make_dir(*it, 0755); !s.empty()) return s;
  }
  return "";
}

Status Transaction::stage(const std::string& target, std::string* staged) {
  if (Status s = make_dirs(disk::parent_of(target)); !s.empty()) return s;
  *staged = sibling(target, "new");
  if (Status s = note({StepKind::staged, *staged}); !s.empty()) return s;
  return m_machine.disk.remove_tree(*staged);
}

Status Transaction::swap_in(const std::string& staged, const std::string& target) {
  disk::Disk& d = m_machine.disk;
  if (auto st = d.lstat(target)) {
    std::string backup = sibling(target, "old");
    d.remove_tree(backup);
    if (Status s = note({StepKind::replaced, target, backup}); !s.empty()) return s;
    // Files and links: a hard link keeps the old one while the rename replaces it atomically,
    // so readers see old or new, never neither. Folders: moved aside (no hard link for those).
    Status backed = st->kind == disk::Kind::dir ? d.rename(target, backup) : d.link(target, backup);
    if (!backed.empty()) return "back up " + target + " failed: " + backed;
    util::checkpoint();
  } else if (Status s = note({StepKind::created, target}); !s.empty()) {
    return s;
  }
  if (Status s = d.rename(staged, target); !s.empty())
    return "rename into " + target + " failed: " + s;
  util::checkpoint();
  return disk::sync_parent(d, target);
}

Status Transaction::move_aside(const std::string& target) {
  disk::Disk& d = m_machine.disk;
  std::string backup = sibling(target, "old");
  d.remove_tree(backup);
  if (Status s = note({StepKind::replaced, target, backup}); !s.empty()) return s;
  if (Status s = d.rename(target, backup); !s.empty())
    return "moving " + target + " aside failed: " + s;
  util::checkpoint();
  return disk::sync_parent(d, target);
}

Status Transaction::run_ldconfig(Machine& m) {
  std::vector<std::string> argv = {m.ldconfig};
  if (!m.root.empty()) argv.insert(argv.end(), {"-r", m.root});
  util::ProcessOptions o;
  o.timeout = std::chrono::seconds(120);
  auto r = m.runner.run(argv, o);
  if (r.exit_code == 0) return "";
  return m.ldconfig + (m.root.empty() ? "" : " -r " + m.root) + " failed (exit " +
         std::to_string(r.exit_code) + "): " + r.output.substr(0, 300);
}

void Transaction::undo(Machine& m, const std::vector<Step>& steps) {
  disk::Disk& d = m.disk;
  bool rerun_ldconfig = false, variables = false;
  for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
    const Step& s = *it;
    switch (s.kind) {
    case StepKind::staged:
    case StepKind::created:
      d.remove_tree(s.path);
      break;
    case StepKind::replaced:
      if (disk::exists(d, s.backup)) {
        d.remove_tree(s.path);
        d.rename(s.backup, s.path);
      }
      break;
    case StepKind::made_dir:
      d.remove_dir(s.path); // only if empty: anything else in it was not ours to remove
      break;
    case StepKind::remove_dir:
      break; // nothing was removed yet: that happens after the commit
    case StepKind::set_variable:
      m.registry.write(s.scope, s.name, s.before);
      variables = true;
      break;
    case StepKind::ran_ldconfig:
      rerun_ldconfig = true;
      break;
    case StepKind::packages:
      // Every package the run touched back at its version (or removed) and hold; what the
      // archive no longer has stays as it is, which the executor's report then says.
      if (m.packages) {
        std::string log;
        m.packages->apply(s.packages, &log);
      }
      break;
    }
    if (!s.path.empty()) disk::sync_parent(d, s.path);
  }
  if (variables) m.registry.broadcast();
  if (rerun_ldconfig) run_ldconfig(m);
}

void Transaction::cleanup(Machine& m, const std::vector<Step>& steps) {
  disk::Disk& d = m.disk;
  for (const auto& s : steps)
    if (s.kind == StepKind::replaced) d.remove_tree(s.backup);
  // Folders gpucfg made that this transaction emptied: deepest first, now that the backups in
  // them are gone; one holding anything else (a user's file) stays.
  std::vector<std::string> folders;
  for (const auto& s : steps)
    if (s.kind == StepKind::remove_dir) folders.push_back(s.path);
  std::sort(folders.begin(), folders.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  for (const auto& f : folders)
    if (d.remove_dir(f).empty()) disk::sync_parent(d, f);
}

} // namespace gpucfg::exec
