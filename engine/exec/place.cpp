#include "exec/place.hpp"

#include "plan/winenv.hpp"
#include "util/sha256.hpp"

#include <cstdlib>

namespace gpucfg::exec {

namespace {

unsigned parse_mode(const std::string& m) {
  return m.empty() ? 0644u : static_cast<unsigned>(std::strtoul(m.c_str(), nullptr, 8));
}

// The file at a.path copied to a.keep_as first (someone's edit the plan named), journalled as
// created so that undo removes the copy, and never recorded: nothing of gpucfg's removes it.
Status keep_edit(PlaceContext& c, const plan::Action& a) {
  if (a.keep_as.empty()) return "";
  Machine& m = c.tx.machine();
  std::string from = m.host(a.path), to = m.host(a.keep_as), staged;
  auto st = m.disk.lstat(from);
  if (!st || st->kind != disk::Kind::file) return "";
  if (disk::exists(m.disk, to))
    return a.keep_as + " exists: the edit of " + a.path +
           " would be kept there; move it, then "
           "try again";
  if (Status s = c.tx.stage(to, &staged); !s.empty()) return s;
  if (Status s = m.disk.copy(from, staged, st->mode, nullptr); !s.empty()) return s;
  if (Status s = m.disk.set_mtime(staged, st->mtime_ns); !s.empty()) return s;
  return c.tx.swap_in(staged, to);
}

Status write(PlaceContext& c, const plan::Action& a) {
  Machine& m = c.tx.machine();
  if (Status s = keep_edit(c, a); !s.empty()) return s;
  std::string h = m.host(a.path), staged;
  if (Status s = c.tx.stage(h, &staged); !s.empty()) return s;
  std::string sha;
  Status s;
  // Rollback copies from gpucfg's blobs, cuDNN placement from the store: this computer's paths.
  bool here = a.from_host || a.from.rfind(c.state.dir(), 0) == 0;
  std::string from = here ? a.from : m.host(a.from);
  if (!a.from.empty()) {
    s = m.disk.copy(from, staged, parse_mode(a.mode), &sha);
  } else {
    s = m.disk.write(staged, a.content, parse_mode(a.mode));
    sha = util::sha256_hex(a.content);
  }
  if (!s.empty()) return s;
  if (!a.sha256.empty() && sha != a.sha256)
    return a.path + ": content sha256 " + sha + " is not the planned " + a.sha256 +
           "; nothing installed";
  if (a.mtime_ns != 0)
    if (Status t = m.disk.set_mtime(staged, a.mtime_ns); !t.empty()) return t;
  util::checkpoint();
  return c.tx.swap_in(staged, h);
}

Status symlink(PlaceContext& c, const plan::Action& a) {
  Machine& m = c.tx.machine();
  if (Status s = keep_edit(c, a); !s.empty()) return s;
  std::string h = m.host(a.path), staged;
  if (Status s = c.tx.stage(h, &staged); !s.empty()) return s;
  if (Status s = m.disk.symlink(a.link_target, staged); !s.empty()) return s;
  return c.tx.swap_in(staged, h);
}

Status remove(PlaceContext& c, const plan::Action& a) {
  std::string h = c.tx.machine().host(a.path);
  if (!disk::exists(c.tx.machine().disk, h)) return "";
  if (Status s = keep_edit(c, a); !s.empty()) return s;
  return c.tx.move_aside(h);
}

// A folder gpucfg made, emptied by this transaction: only noted here, since the backups of what
// was removed from it stay beside their paths until the commit; cleanup removes it then (or
// leaves it, if anything else is in it by that time).
Status remove_dir(PlaceContext& c, const plan::Action& a) {
  std::string h = c.tx.machine().host(a.path);
  if (!disk::exists(c.tx.machine().disk, h)) return "";
  return c.tx.note({StepKind::remove_dir, h});
}

Status ldconfig(PlaceContext& c) {
  if (Status s = c.tx.note({StepKind::ran_ldconfig}); !s.empty()) return s;
  return Transaction::run_ldconfig(c.tx.machine());
}

// A framework environment is built where it will be used (its scripts name their folder), so
// the folder is journalled as created before anything is written: undo removes it whole.
Status build_env(PlaceContext& c, const plan::Action& a) {
  Machine& m = c.tx.machine();
  std::string h = m.host(a.path);
  if (Status s = c.tx.make_dirs(disk::parent_of(h)); !s.empty()) return s;
  bool there = disk::exists(m.disk, h);
  if (there && a.change != "update") return a.path + " appeared since the plan; nothing was built";
  if (there) {
    // A repair: the damaged folder is moved aside (put back if the build fails), then rebuilt.
    if (Status s = c.tx.move_aside(h); !s.empty()) return s;
  }
  if (Status s = c.tx.note({StepKind::created, h}); !s.empty()) return s;
  std::vector<std::string> uses;
  if (Status s = m.envs.build(h, a.from, a.artifacts, a.content, &uses); !s.empty()) return s;
  c.out.built[a.path] = store::scan_tree(m.disk, h, false, 1);
  c.out.uses[a.path] = uses;
  util::checkpoint();
  return m.disk.sync_tree(h);
}

// A Windows variable, edited in the registry. The step keeps its value before, so undo (and
// recovery after a kill) write it back.
Status setenv(PlaceContext& c, const plan::Action& a) {
  util::Registry& reg = c.tx.machine().registry;
  auto edit = plan::env_edit_from(a.content);
  if (!edit) return a.path + ": not a variable edit this gpucfg can apply";
  std::string error;
  auto now = reg.read(edit->scope, edit->name, &error);
  if (!error.empty()) return error;
  auto want = plan::edited(now ? std::optional<std::string>(now->value) : std::nullopt, *edit);
  Step step{StepKind::set_variable};
  step.scope = edit->scope;
  step.name = edit->name;
  step.before = now;
  if (Status s = c.tx.note(step); !s.empty()) return s;
  std::optional<util::RegistryValue> v;
  // PATH-like values keep their type; a new one expands %VARIABLES% only if it names any.
  if (want)
    v = util::RegistryValue{*want, now ? now->expand : want->find('%') != std::string::npos};
  c.out.variables_changed = true;
  if (Status s = reg.write(edit->scope, edit->name, v); !s.empty()) return s;
  util::checkpoint();
  return "";
}

} // namespace

Status place(PlaceContext& c, const plan::Action& a) {
  switch (a.op) {
  case plan::Op::write:
    return write(c, a);
  case plan::Op::symlink:
    return symlink(c, a);
  case plan::Op::install_tree:
  case plan::Op::restore_tree:
    return place_tree(c, a);
  case plan::Op::build_env:
    return build_env(c, a);
  case plan::Op::remove:
  case plan::Op::remove_tree:
    return remove(c, a);
  case plan::Op::remove_dir:
    return remove_dir(c, a);
  case plan::Op::package: // all of them at once, before the first file (executor.cpp)
    return "";
  case plan::Op::run:
    if (a.path == "ldconfig") return ldconfig(c);
    return "unknown command '" + a.path + "'";
  case plan::Op::adopt:
    return ""; // nothing changes on disk; the record lists the tree's files
  case plan::Op::setenv:
    return setenv(c, a);
  case plan::Op::unknown:
    break;
  }
  return std::string("unknown action '") + plan::to_string(a.op) + "'";
}

} // namespace gpucfg::exec
