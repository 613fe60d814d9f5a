// The planner: desired state (a decoded Stack) + Facts + Observed paths -> Plan. Pure: no I/O,
// no clock, no environment; the same inputs give the same plan byte for byte.
#pragma once

#include "knowledge/knowledge.hpp"
#include "manifest/model.hpp"
#include "plan/model.hpp"
#include "plan/observed.hpp"
#include "plan/winenv.hpp"
#include "probe/facts.hpp"

#include <string>
#include <vector>

namespace gpucfg::plan {

// One path the manifest wants, in the form the executor writes it.
struct Desired {
  std::string path, kind; // kind: file | symlink | absent | tree | python-env | keep | setenv
  std::string content;    // file: inline content
  std::string from;       // file: local source file; tree: source folder
  std::string sha256;     // file: pinned or computed content hash ("" when unknown)
  std::string link_target, mode;
  Resource resource = Resource::unknown;
  std::string summary, why;
  std::string origin;                        // file:line:col
  bool needs_source = false;                 // the manifest names no source for it yet
  std::vector<source::Artifact> artifacts{}; // tree: archives to unpack (else `from` is copied)
  std::string key{};      // tree: the store entry it is made from; "" while that cannot be known
  bool from_host = false; // file: `from` is in gpucfg's cache on this computer, not under --root
  // cuDNN placement rule not yet listable: the files it is expected to place ("FROM -> TO")
  // and where that expectation comes from.
  std::vector<std::string> files{};
  std::string files_from{};
};

struct Wanted {
  std::vector<std::string> paths;       // observe their state
  std::vector<std::string> source_dirs; // list their files (cuDNN placement)
  std::vector<std::string> folders;     // source folders of trees: listed, not hashed (their key)
  std::vector<std::pair<std::string, std::string>> variables; // Windows: (scope, name) to read
};

// A manifest's `env:` entry as the edit apply makes on Windows.
EnvEdit env_edit(const manifest::EnvVar& v);

// The paths and source folders the planner will ask about (pure; observe.cpp reads them).
Wanted wanted(const manifest::Stack& s, const std::string& home, const probe::Facts& facts);

// cuDNN placements that cannot happen: a source folder that is missing or empty, a `place:`
// rule that matches no file of the package. Pure; empty while the package is not listed yet.
std::vector<std::string> placement_errors(const manifest::Stack& s, const Observed& observed);
// cuDNN archives unpacked into the toolkit's tree as a whole: `into: cuda`, the toolkit from
// archives too, and no `place:` rules. With rules, each file they pick is placed (and planned)
// on its own, as the seed copies cudnn64_8.dll into bin, cudnn.h into include and cudnn.lib
// into lib\x64, so that nothing the rules leave out lands in the toolkit.
bool cudnn_joins_toolkit(const manifest::Stack& s, const Observed& observed);

// The desired entries for a Stack, given what its source folders hold.
// `kb`: where the files of a cuDNN package not at hand yet are known from (nullptr: not shown).
std::vector<Desired> desired_state(const manifest::Stack& s, const Observed& observed,
                                   const knowledge::Knowledge* kb = nullptr);

// The framework environment (desired_env.cpp): its folder, its marker and its link to observe,
// and the entries that build it, point the link at it and keep the previous one for rollback.
void env_wanted(const manifest::Stack& s, const probe::Facts& facts, Wanted& w);
void env_desired(const manifest::Stack& s, const probe::Facts& facts, const Observed& observed,
                 std::vector<Desired>& out);

// "unpack cuda_nvcc 13.0.88 (45 MB, in the cache)": one archive, for plan output.
std::string describe(const source::Artifact& a);

struct PlanInput {
  const manifest::Stack& stack;
  probe::Facts facts; // after --assume overrides
  const Observed& observed;
  const knowledge::Knowledge& kb;
  std::string facts_source = "live";
};

Plan make_plan(const PlanInput& in);

// make_plan's refusals before any diff (guards.cpp): a desired path another manifest manages, a
// machine-wide variable two manifests set differently; paths other users could change.
void conflicts(const PlanInput& in, const std::vector<Desired>& desired, Plan& plan);
void untrusted_paths(const PlanInput& in, const std::vector<Desired>& desired, Plan& plan);

// The manifest's system packages against Observed::packages (plan/packages.cpp): their actions,
// which run before everything else, and their managed entries ("pkg:NAME").
void plan_packages(const manifest::Stack& s, const Observed& o, Plan& plan);

// The folders gpucfg made (with what is in them now) that p's removals leave empty go too
// (folders.cpp),
// deepest first, after everything in them: what was not there before gpucfg is not left
// behind, whether an apply, a rollback or a destroy empties it. A folder that anything of the
// plan is put into, or that holds anything else (a user's file), stays.
void remove_emptied_folders(const std::vector<MadeFolder>& made, const std::string& reason,
                            Plan& p);

// The prerequisite checks (driver, GPUs, host compiler, platform); errors go to plan.errors.
void run_checks(const PlanInput& in, Plan& plan);

// --assume driver=535.54,gpu=sm_86,platform=linux-x86_64: a copy of the facts with those
// replaced. Returns an error message for a malformed assumption, else "".
std::string apply_assumptions(probe::Facts& facts, const std::string& assume);

std::string fingerprint(const probe::Facts& facts, const Observed& observed);

} // namespace gpucfg::plan
