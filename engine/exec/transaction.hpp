// The journalled file-level steps every change is made of, as dpkg makes them: the new content
// staged beside its target (same file system), the old one kept as a backup beside it (a hard
// link for a file, a rename for a folder), the new one renamed over, each step written to the
// journal before it is taken. undo() walks a journal back (a failure, or a kill found by
// recover()); cleanup() finishes one past the commit point (backups deleted, emptied folders
// removed).
#pragma once

#include "exec/journal.hpp"
#include "exec/machine.hpp"
#include "util/fault.hpp" // util::checkpoint after each step

#include <string>
#include <vector>

namespace gpucfg::exec {

class Transaction {
public:
  // `journal_file`: where the journal is kept; `generation`: the one this transaction makes.
  Transaction(Machine& m, std::string journal_file, int generation);

  Machine& machine() { return m_machine; }
  const Journal& journal() const { return m_journal; }

  // Journals `step` before it is taken, so a crash right after still knows how to undo it.
  Status note(Step step);
  // mkdir -p, each folder made journalled.
  Status make_dirs(const std::string& host_dir);
  // The parent folders of host path `target`, then a clean, journalled staging name beside it.
  Status stage(const std::string& target, std::string* staged);
  // Moves `staged` to `target`; what was there is kept as a backup beside it.
  Status swap_in(const std::string& staged, const std::string& target);
  // Moves `target` to its backup beside it (undo moves it back; cleanup deletes it).
  Status move_aside(const std::string& target);

  static void undo(Machine& m, const std::vector<Step>& steps);
  static void cleanup(Machine& m, const std::vector<Step>& steps);
  // Runs this computer's ldconfig for the machine's root.
  static Status run_ldconfig(Machine& m);

private:
  Machine& m_machine;
  std::string m_file;
  Journal m_journal;
};

// Where a path's staging copy and backup are made: beside it, ".gpucfg-new-NAME" and
// ".gpucfg-old-NAME", so renames stay on one file system.
std::string sibling(const std::string& host_path, const char* tag);

} // namespace gpucfg::exec
