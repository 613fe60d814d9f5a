// Shared by plan, apply and env: load a manifest for the platform of the facts, gather facts
// (live, or from a saved file with --assume overrides), observe and plan.
#pragma once

#include "common.hpp"
#include "manifest/model.hpp"
#include "plan/model.hpp"
#include "plan/observed.hpp"
#include "probe/facts.hpp"
#include "source/artifact.hpp"

#include <map>
#include <optional>
#include <string>

namespace gpucfg::cli {

struct PlanRequest {
  std::string manifest, root = "/", facts_file, assume;
  bool checksum = false;
  bool allow_unpinned = false, offline = false; // sources (also GPUCFG_OFFLINE=1)
  bool prepare = false; // apply: fetch and unpack cuDNN archives to be placed file by file
};

// --allow-unpinned and --offline, shared by plan, apply and fetch.
void add_source_flags(CLI::App& cmd, PlanRequest& req);

// The manifest's cuda.source and cudnn.source resolved into archives ("cuda", "cudnn"), with the
// machine's mirrors (GPUCFG_MIRROR, /etc/gpucfg/config.yaml) tried first.
// With `facts`, the environment's wheels are those of the interpreter that will build it.
std::map<std::string, source::Resolved> resolve_sources(const manifest::Stack& stack,
                                                        const PlanRequest& req,
                                                        const probe::Facts* facts = nullptr);

// Gets every archive of the plan's install steps onto this computer (cache or local file),
// printing progress to stderr; fills in the hashes of unpinned ones. False: something failed
// and was printed; nothing on the machine was changed.
bool fetch_artifacts(std::vector<source::Artifact*> artifacts, bool allow_unpinned);
std::vector<source::Artifact*> plan_artifacts(plan::Plan& p);

// cuDNN archives placed into a toolkit this manifest does not unpack (the seed's "copy cuDNN
// into the CUDA folder"): the archive unpacked in the cache is listed as the placement's source,
// after fetching and unpacking it when `prepare`. False when that failed (printed).
bool place_from_cache(const manifest::Stack& stack, plan::Observed& observed, bool prepare,
                      bool allow_unpinned);

struct Planned {
  std::optional<knowledge::Knowledge> kb;
  std::optional<manifest::Stack> stack;
  probe::Facts facts;
  plan::Observed observed;
  plan::Plan plan;
};

// Prints diagnostics itself; nullopt on any error before a plan could be made.
std::optional<Planned> make_plan(const PlanRequest& req, Context& ctx);

} // namespace gpucfg::cli
