// One planning run, made the same way for every front end (plan, apply, fetch, env, the fleet
// plan): load the knowledge and the manifest for the target's platform, read the machine (live,
// or a saved facts file with --assume overrides), observe exactly the paths the manifest
// manages, resolve its sources through the machine's mirrors, plan. Nothing here prints: the
// manifest's problems land in the Context's diagnostics, everything else goes to the Reporter
// the front end supplies (the CLI writes it to stderr; a test or another front end records it).
#pragma once

#include "knowledge/knowledge.hpp"
#include "manifest/model.hpp"
#include "plan/model.hpp"
#include "plan/observed.hpp"
#include "probe/facts.hpp"
#include "probe/host.hpp"
#include "probe/probe.hpp"
#include "session/lock_model.hpp"
#include "source/artifact.hpp"
#include "source/fetch.hpp"
#include "util/diagnostic.hpp"

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace gpucfg::session {

// The files read so far and what was found wrong in them (rendered by the front end).
struct Context {
  util::SourceSet sources;
  util::Diagnostics diags;
};

// What a run tells its front end besides diagnostics.
class Reporter {
public:
  virtual ~Reporter() = default;
  virtual void error(const std::string& message) = 0;   // why the run stops (or a step failed)
  virtual void warning(const std::string& message) = 0; // worth saying; the run goes on
  virtual void progress(const source::Progress&) {}     // downloads
};

// A Reporter that keeps everything, for front ends that print later (fleet plans, tests).
class Recorder : public Reporter {
public:
  void error(const std::string& m) override { errors.push_back(m); }
  void warning(const std::string& m) override { warnings.push_back(m); }
  std::vector<std::string> errors, warnings;
};

struct PlanRequest {
  std::string manifest, root = "/", facts_file, assume;
  bool checksum = false;
  bool allow_unpinned = false, offline = false; // sources (also GPUCFG_OFFLINE=1)
  bool prepare = false; // apply: fetch and unpack cuDNN archives to be placed file by file
};

struct Planned {
  std::shared_ptr<const manifest::Stack> stack; // shared by every machine a Planner plans
  probe::Facts facts;
  plan::Observed observed;
  plan::Plan plan;
};

// The errors among diagnostics [from, end) as "file:line:col: message" lines (a host's or a
// manifest's problems in a fleet table or a review).
std::vector<std::string> error_lines(const util::Diagnostics& diags, std::size_t from = 0);

// The stack as resolved (gpucfg show's JSON) without where its files lie, every `from` in its
// strings written as `to`: what lock hashes and diff compares, the same in any checkout.
nlohmann::ordered_json resolved_json(const manifest::Stack& stack, const std::string& from,
                                     const std::string& to);

// knowledge/ from the data folder; nullopt (with the reason reported) when it cannot be read.
std::optional<knowledge::Knowledge> load_knowledge(Context& ctx, Reporter& report);

// The manifest decoded and validated for `platform`; nullopt when it (or knowledge) has errors.
std::optional<manifest::Stack> load_stack(const std::string& file, const std::string& platform,
                                          Context& ctx, Reporter& report);

// The manifest's cuda.source and cudnn.source resolved into archives ("cuda", "cudnn"), and its
// environment's wheels ("python"), with the machine's mirrors (GPUCFG_MIRROR,
// /etc/gpucfg/config.yaml) tried first. With `facts`, the environment's wheels are those of the
// interpreter that will build it; without (filling a mirror), every wheel the lock has.
std::map<std::string, source::Resolved> resolve_sources(const manifest::Stack& stack,
                                                        const PlanRequest& req, Context& ctx,
                                                        const probe::Facts* facts = nullptr);

// Every archive of the plan's install steps.
std::vector<source::Artifact*> plan_artifacts(plan::Plan& p);

// Gets every artifact onto this computer (cache or local file); fills in the hashes of unpinned
// ones (and warns). False: something failed and was reported; nothing on the machine changed.
// `landed`, when given, hears of each artifact once it is in the store (those already there
// first, then each download as it completes, from the downloading thread).
bool fetch_artifacts(std::vector<source::Artifact*> artifacts, bool allow_unpinned,
                     Reporter& report,
                     const std::function<void(const source::Artifact&)>& landed = nullptr);

// cuDNN archives placed into a toolkit this manifest does not unpack (the seed's "copy cuDNN
// into the CUDA folder"): the archive unpacked in the cache is listed as the placement's source,
// after fetching and unpacking it when `prepare`. False when that failed (reported).
bool place_from_cache(const manifest::Stack& stack, plan::Observed& observed, bool prepare,
                      bool allow_unpinned, Reporter& report);

// facts.managed for the machine `host` reads: its current generation's record, and the managed
// paths that no longer look as recorded (checked by kind, size, mtime and link target; trees by
// being folders). What `gpucfg facts` saves, so a fleet plan sees converged hosts as such.
void gather_managed(const probe::Host& host, probe::Facts& facts);

// The planning run. nullopt on any error before a plan could be made (diagnostics in ctx, the
// rest reported); a plan with errors is still a plan (it says what apply would refuse).
std::optional<Planned> make_plan(const PlanRequest& req, Context& ctx, Reporter& report);

// Planning runs of one manifest on many machines: what does not depend on the machine (the
// knowledge base, the manifest decoded for each platform, its lock, the sources resolved for
// each platform and interpreter) is read once. make_plan is one run of it; a fleet, many.
class Planner {
public:
  Planner(PlanRequest req, Context& ctx, Reporter& report);
  // This machine (req.root), or the one req.facts_file describes.
  std::optional<Planned> plan_request();
  // A machine described by a saved facts file.
  std::optional<Planned> plan_facts_file(const std::string& facts_file);
  // The manifest's errors for `platform` (its diagnostics are in the Context once).
  const std::vector<std::string>& stack_errors(const std::string& platform);

private:
  std::optional<Planned> plan(probe::Facts facts, const std::string& facts_source);
  std::shared_ptr<const manifest::Stack> stack_for(const std::string& platform);
  // What this machine's probe must gather for the stack: program runs only where a check
  // reads their answer.
  probe::ProbeOptions probe_needs();

  PlanRequest m_req;
  Context& m_ctx;
  Reporter& m_report;
  std::optional<knowledge::Knowledge> m_kb;
  std::map<std::string, std::shared_ptr<const manifest::Stack>> m_stacks; // null: errors
  std::map<std::string, std::vector<std::string>> m_stack_errors;
  std::map<std::string, std::map<std::string, source::Resolved>> m_resolved;
  bool m_lock_read = false;
  std::optional<LockFile> m_lock; // the lock beside the manifest, read once
  std::string m_lock_error;
};

} // namespace gpucfg::session
