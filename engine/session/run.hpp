// The runs that change a machine, each one call every front end makes (the CLI, and anything
// after it), as ninja's Builder is for a build: apply (a manifest, or a saved plan planned again
// through the same Planner and refused if anything differs), rollback, destroy and gc. Each takes
// the state lock, finishes or undoes what a killed gpucfg left, holds the store, plans, shows the
// plan and asks (through the RunReporter), fetches every artifact before the first change,
// executes one transaction and, after an apply that changed something, verifies at the
// manifest's level. Nothing here prints.
#pragma once

#include "exec/gc.hpp"
#include "plan/model.hpp"
#include "session/planning.hpp"
#include "verify/verify.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gpucfg::session {

// What a run tells its front end, and asks it.
class RunReporter : public Reporter {
public:
  // Before the lock is waited for: who holds it.
  virtual void waiting(const std::string& /*holder*/, int /*seconds*/) {}
  // Worth a line: a lock recovered from a dead holder, an interrupted transaction finished.
  virtual void note(const std::string& /*message*/) {}
  // The plan the run will carry out, before it is confirmed.
  virtual void plan(const plan::Plan& /*p*/) {}
  // Whether to go ahead with `p` (a person asked, or --yes). False stops the run unchanged.
  virtual bool confirm(const plan::Plan& /*p*/) { return false; }
};

struct RunOptions {
  std::string root = "/";
  int lock_timeout_s = 0;
  bool checksum = false; // compare trees and store entries by content
};

enum class Outcome {
  unchanged, // nothing to do (or a dry run)
  changed,   // a new generation
  refused,   // plan errors, not confirmed, stale, or the lock was not had: nothing changed
  failed,    // a step failed and every change was undone
};

struct RunResult {
  Outcome outcome = Outcome::refused;
  std::optional<plan::Plan> plan;
  int generation = 0;
  std::size_t changes = 0;
  std::vector<std::string> said; // what was carried into new trees, store entries made anew
  std::optional<verify::Report> verified; // after an apply that changed something, when asked
  std::string verify_level;
};

struct ApplyRequest {
  PlanRequest plan;        // the manifest (or saved plan: plan.manifest names the file)
  int lock_timeout_s = 0;
  bool verify = true;      // verify at the manifest's level after a change
  bool saved_plan = false; // plan.manifest is a plan saved by `gpucfg plan --out`
};

// A saved plan (JSON with format_version and actions), or nullopt for anything else (a
// manifest). A file that claims to be a plan but does not hold one sets *error.
std::optional<plan::Plan> read_saved_plan(const std::string& path, std::string* error);

RunResult apply(const ApplyRequest& req, Context& ctx, RunReporter& report);
RunResult rollback(const RunOptions& o, int to, RunReporter& report);
// `dry_run`: the plan only, from the records (no lock, nothing written: Ansible's check mode).
RunResult destroy(const RunOptions& o, const std::string& manifest_name, bool dry_run,
                  RunReporter& report);

struct GcResult {
  bool ok = false;
  exec::GcReport report;
};
GcResult gc(const RunOptions& o, int keep, bool dry_run, RunReporter& report);

// verify's options at `level` as every front end runs it: the kernels folder, the store's
// verify bucket, and this program's hidden `__load-probe` as the process libraries load in.
verify::Options verify_options(const std::string& level);

} // namespace gpucfg::session
