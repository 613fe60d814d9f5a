#include "session/run.hpp"

#include "disk/real_disk.hpp"
#include "exec/env_builder.hpp"
#include "exec/executor.hpp"
#include "exec/restore.hpp"
#include "exec/state.hpp"
#include "knowledge/knowledge.hpp"
#include "packages/apt.hpp"
#include "plan/plan_json.hpp"
#include "probe/probe.hpp"
#include "session/prepare.hpp"
#include "store/fill.hpp"
#include "util/os.hpp"
#include "util/strings.hpp"
#include "util/trust.hpp"

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

namespace gpucfg::session {

namespace {

std::string root_prefix(const std::string& root) {
  std::string r = root == "/" ? "" : root;
  while (!r.empty() && r.back() == '/')
    r.pop_back();
  return r;
}

// This computer's ldconfig (never one inside --root), by absolute path: PATH may lack sbin.
std::string find_ldconfig() {
  for (const char* p : {"/sbin/ldconfig", "/usr/sbin/ldconfig"})
    if (disk::exists(disk::real_disk(), p)) return p;
  return "/sbin/ldconfig";
}

// The machine a run changes: this computer's disk, programs and registry, the store, and the
// state folder of `root`.
class LocalMachine {
public:
  LocalMachine(const std::string& root, bool checksum)
      : m_store(disk::real_disk(), store::default_dir()), m_unpacker(m_store, 0),
        m_envs(m_store, 0, checksum), m_machine{disk::real_disk(), m_runner,   m_registry,
                                                m_store,           m_unpacker, m_envs,
                                                root_prefix(root)},
        m_state(disk::real_disk(), root) {
    m_machine.ldconfig = find_ldconfig();
    m_machine.checksum = checksum;
    std::string why; // none: a plan with package actions is refused (exec::unsupported)
    m_packages = packages::system_manager(m_runner, root, &why);
    m_machine.packages = m_packages.get();
  }
  exec::Machine& machine() { return m_machine; }
  exec::StateStore& state() { return m_state; }
  store::Store& store() { return m_store; }

private:
  util::SystemRunner m_runner;
  util::SystemRegistry m_registry;
  std::unique_ptr<packages::Manager> m_packages;
  store::Store m_store;
  store::ArchiveUnpacker m_unpacker;
  exec::PyenvBuilder m_envs;
  exec::Machine m_machine;
  exec::StateStore m_state;
};

// Whether gpucfg's own folder `dir` is one no other user can write (util/trust.hpp). Refused,
// with the reason, unless GPUCFG_SINGLE_USER=1 says there is no other user (then a warning).
bool trusted(const std::string& dir, const std::string& what, RunReporter& report) {
  auto why = util::untrusted(dir);
  if (!why) return true;
  std::string msg = what + " " + dir + " is open to other users: " + *why;
  if (util::single_user()) {
    report.warning(msg + " (GPUCFG_SINGLE_USER=1: used all the same)");
    return true;
  }
  report.error(msg + "; nothing was changed (give it to root and close it to others, or set "
                     "GPUCFG_SINGLE_USER=1 on a machine with no other user)");
  return false;
}

// The locks a run holds: the state's (one change at a time per root) and the store's (shared by
// runs that use its entries, exclusive for gc, so gc never frees an entry an apply has made but
// not yet recorded).
struct Held {
  std::unique_ptr<exec::Lock> state;
  util::FileLock store;
};

bool lock_store(LocalMachine& lm, Held& held, bool exclusive, int wait_s, RunReporter& report) {
  // Entries are installed as root and trusted by their records: a store another user can write
  // could hand root a tree of theirs with a record to match.
  if (!trusted(lm.store().dir(), "the store", report)) return false;
  if (std::string s = lm.store().open(); !s.empty()) {
    report.error(s);
    return false;
  }
  std::string path = lm.store().dir() + "/lock";
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait_s);
  while (!held.store.try_lock(path, !exclusive)) {
    if (!held.store.error().empty()) {
      report.error(held.store.error());
      return false;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      report.error("the store " + lm.store().dir() + " is in use by another gpucfg (" +
                   (exclusive ? "a run on another root" : "a gc") +
                   "); try again, or wait with --lock-timeout");
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return true;
}

// Takes the lock, finishes or undoes whatever a killed gpucfg left, and takes the store. False:
// cannot go on (reported).
bool begin(LocalMachine& lm, Held& held, const std::string& operation, int wait_s,
           bool exclusive_store, RunReporter& report) {
  // What recovery replays and rollback copies back must be root's alone: a state folder another
  // user can write would let them have root undo "steps" of their choosing.
  if (!trusted(lm.state().dir(), "the state folder", report)) return false;
  if (std::string err = lm.state().ensure(); !err.empty()) {
    report.error(err);
    return false;
  }
  held.state = std::make_unique<exec::Lock>(lm.state(), operation, 0);
  if (!held.state->held() && wait_s > 0) {
    report.waiting(held.state->holder(), wait_s);
    held.state = std::make_unique<exec::Lock>(lm.state(), operation, wait_s);
  }
  if (!held.state->held()) {
    report.error(held.state->message());
    return false;
  }
  if (!held.state->message().empty()) report.note(held.state->message());
  if (!lock_store(lm, held, exclusive_store, wait_s, report)) return false;
  // Recorded paths are joined under the root as written: one that could lead out of it is not
  // gpucfg's record (Windows variables are "env:NAME"; packages "pkg:NAME", never joined to a
  // path, but held to Debian's name characters all the same).
  auto package = [](const std::string& p) {
    return p.rfind("pkg:", 0) == 0 && p.size() > 5 &&
           p.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789+-.", 4) == std::string::npos;
  };
  for (const auto& e : lm.state().current().entries)
    if (!util::plain_absolute_path(e.path) && e.path.rfind("env:", 0) != 0 && !package(e.path)) {
      report.error(lm.state().dir() + "/current.json names '" + e.path +
                   "', which is not a plain absolute path; nothing was changed");
      return false;
    }
  bool refused = false;
  std::string msg = exec::recover(lm.machine(), lm.state(), &refused);
  if (refused) {
    report.error(msg);
    return false;
  }
  if (!msg.empty()) report.note(msg);
  return true;
}

// What a plan does, for comparing a saved plan with the same plan made again: its actions as
// JSON, less what only describes them: where each archive is (cache, download: fetching in
// between changes that) and the manifest line's origin (the file as the command line named it).
nlohmann::json what_it_does(const plan::Plan& p) {
  std::vector<plan::Action> actions = p.actions;
  for (auto& a : actions) {
    a.origin.clear();
    for (auto& art : a.artifacts)
      art.available.clear();
  }
  return actions;
}

// Shows the plan, asks, fetches, executes: the part every run that changes the machine shares.
RunResult carry_out(LocalMachine& lm, plan::Plan p, bool fetch, bool allow_unpinned,
                    RunReporter& report) {
  RunResult out;
  report.plan(p);
  out.plan = p;
  if (p.has_errors()) return out;
  if (!p.has_changes()) {
    out.outcome = Outcome::unchanged;
    out.generation = lm.state().current().number;
    return out;
  }
  if (!report.confirm(p)) return out;
  // Every artifact is in the store before the first change: a failed download changes nothing.
  if (fetch) {
    std::vector<source::Artifact*> arts = plan_artifacts(p);
    Preparer prepare(lm.machine().envs, p);
    bool fetched = fetch_artifacts(arts, allow_unpinned, report,
                                   [&](const source::Artifact& a) { prepare.landed(a); });
    prepare.finish();
    if (!fetched) {
      report.error("apply stopped before changing anything");
      return out;
    }
  }
  auto r = exec::execute(lm.machine(), lm.state(), p);
  if (!r.ok) {
    report.error("apply failed: " + r.error);
    out.outcome = Outcome::failed;
    return out;
  }
  out.outcome = Outcome::changed;
  out.generation = r.generation;
  out.changes = r.log.size();
  out.said = r.said;
  out.plan = p;
  return out;
}

} // namespace

std::optional<plan::Plan> read_saved_plan(const std::string& path, std::string* error) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  auto j = nlohmann::json::parse(text.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("format_version") || !j.contains("actions"))
    return std::nullopt;
  try {
    return j.get<plan::Plan>();
  } catch (const nlohmann::json::exception& e) {
    *error = path + ": not a gpucfg plan: " + e.what();
    return std::nullopt;
  }
}

verify::Options verify_options(const std::string& level) {
  verify::Options o;
  o.level = level;
  o.kernels_dir = knowledge::data_dir() + "/kernels";
  o.cache_dir = store::default_dir() + "/verify";
  // Workloads run as the caller; built binaries and kept results from a store another user can
  // write could be anyone's: then everything is built afresh in a folder of this run's own.
  if (util::untrusted(store::default_dir()) && !util::single_user()) {
    o.cache_dir = util::make_temp_dir("gpucfg-verify");
    o.fresh = true;
  }
  if (auto self = util::self_path(); !self.empty()) o.load_probe_command = {self, "__load-probe"};
  return o;
}

RunResult apply(const ApplyRequest& req, Context& ctx, RunReporter& report) {
  RunResult out;
  std::optional<plan::Plan> saved;
  if (req.saved_plan) {
    std::string bad;
    saved = read_saved_plan(req.plan.manifest, &bad);
    if (!saved) {
      report.error((bad.empty() ? req.plan.manifest + ": not a gpucfg plan" : bad) +
                   "; nothing was changed");
      return out;
    }
  }
  LocalMachine lm(req.plan.root, saved ? saved->checksum : req.plan.checksum);
  Held held;
  if (!begin(lm, held, "apply " + req.plan.manifest, req.lock_timeout_s, false, report)) return out;
  std::optional<Planned> planned;
  if (saved) {
    // The saved plan is planned again, the same way, by the same Planner: anything that differs
    // (the machine, the manifest, its sources) makes it stale.
    auto stale = [&](const std::string& why) {
      report.error("the plan in " + req.plan.manifest + " is stale: " + why +
                   "; run gpucfg plan again");
      return out;
    };
    if (saved->facts_source != "live")
      return stale("it was made from a facts file (" + saved->facts_source + ")");
    if (root_prefix(saved->root) != root_prefix(req.plan.root))
      return stale("it was made for the machine under " + saved->root);
    if (saved->manifest_file.empty()) return stale("it was made by an older gpucfg");
    PlanRequest again = req.plan;
    again.manifest = saved->manifest_file;
    again.checksum = saved->checksum;
    again.prepare = false;
    planned = make_plan(again, ctx, report);
    if (!planned)
      return stale("its manifest " + saved->manifest_file + " can no longer be planned");
    if (planned->plan.fingerprint != saved->fingerprint)
      return stale("the machine changed since it was made");
    if (planned->plan.has_errors() && !saved->has_errors())
      return stale("planned again, it fails: " + planned->plan.errors.front());
    if (what_it_does(planned->plan) != what_it_does(*saved))
      return stale("the same manifest now plans other changes");
  } else {
    PlanRequest r = req.plan;
    r.prepare = true;
    planned = make_plan(r, ctx, report);
    if (!planned) return out;
  }
  out = carry_out(lm, saved ? *saved : planned->plan, true, req.plan.allow_unpinned, report);
  if (out.outcome != Outcome::changed || !req.verify || planned->stack->verify.mark.line <= 0)
    return out;
  // After a change, the manifest's own verify level says whether the result works; the changes
  // stay either way (rollback undoes them).
  verify::Options vo = verify_options(planned->stack->verify.level);
  auto host = probe::make_local_host(req.plan.root);
  probe::ProbeOptions po;
  po.cache_dir = store::default_dir();
  out.verified = verify::run(*planned->stack, probe::gather(*host, po), *host, vo);
  out.verify_level = vo.level;
  return out;
}

RunResult rollback(const RunOptions& o, int to, RunReporter& report) {
  LocalMachine lm(o.root, o.checksum);
  Held held;
  if (!begin(lm, held, "rollback", o.lock_timeout_s, false, report)) return {};
  int current = lm.state().current().number;
  if (to < 0) to = current - 1;
  if (to < 0) {
    report.error("nothing to roll back to: no generation was applied yet");
    return {};
  }
  if (to >= current) {
    report.error("no generation " + std::to_string(to) + " to roll back to: the current one is " +
                 std::to_string(current) + " (gpucfg history lists them)");
    return {};
  }
  return carry_out(lm, exec::rollback_plan(lm.machine(), lm.state(), to), false, false, report);
}

RunResult destroy(const RunOptions& o, const std::string& manifest_name, bool dry_run,
                  RunReporter& report) {
  LocalMachine lm(o.root, o.checksum);
  if (dry_run) {
    // The records only: no lock, no recovery, nothing written (Ansible's check mode).
    RunResult out;
    plan::Plan p = exec::destroy_plan(lm.machine(), lm.state(), manifest_name);
    report.plan(p);
    out.plan = p;
    out.outcome = p.has_errors() ? Outcome::refused : Outcome::unchanged;
    return out;
  }
  Held held;
  if (!begin(lm, held, "destroy " + manifest_name, o.lock_timeout_s, false, report)) return {};
  return carry_out(lm, exec::destroy_plan(lm.machine(), lm.state(), manifest_name), false, false,
                   report);
}

GcResult gc(const RunOptions& o, int keep, bool dry_run, RunReporter& report) {
  GcResult out;
  LocalMachine lm(o.root, o.checksum);
  Held held;
  if (!begin(lm, held, "gc", o.lock_timeout_s, true, report)) return out;
  out.report = exec::collect_garbage(lm.machine(), lm.state(), keep, dry_run);
  out.ok = out.report.errors.empty();
  return out;
}

} // namespace gpucfg::session
