// What every subcommand shares: exit codes, loading the knowledge base, printing diagnostics.
#pragma once

#include "knowledge/knowledge.hpp"
#include "manifest/model.hpp"
#include "session/planning.hpp"
#include "util/diagnostic.hpp"
#include "verify/verify.hpp"

#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace gpucfg::cli {

// Exit codes, documented in README.md ("Exit codes") and checked by tests/cli.
enum Exit : int {
  k_ok = 0,             // success; for validate: no errors (warnings allowed unless --strict)
  k_error = 1,          // invalid input or a failed operation; nothing was changed
  k_changes = 2,        // plan --detailed-exitcode: the plan has changes
  k_verify_failed = 3,  // verify: a check failed
  k_verify_partial = 4, // verify: nothing failed, but some checks could not run here
  k_usage = 64,         // bad command line (EX_USAGE)
};

using Context = session::Context;

// Loads knowledge/ from the data folder; prints the problems and returns nullopt on failure.
std::optional<knowledge::Knowledge> load_knowledge(Context& ctx);
// Prints every diagnostic to stderr with its source line and caret.
void print_diagnostics(const Context& ctx);

// Loads the knowledge base and the manifest decoded and validated for `platform`; prints the
// diagnostics. nullopt when either has an error.
std::optional<manifest::Stack> load_stack(Context& ctx, const std::string& file,
                                          const std::string& platform);

void add_validate(CLI::App& app, int& exit_code);
void add_show(CLI::App& app, int& exit_code);
void add_facts(CLI::App& app, int& exit_code);
void add_why(CLI::App& app, int& exit_code);
void add_plan(CLI::App& app, int& exit_code);
void add_diff(CLI::App& app, int& exit_code);
void add_review(CLI::App& app, int& exit_code);
void add_lock(CLI::App& app, int& exit_code);
void add_apply(CLI::App& app, int& exit_code);
void add_rollback(CLI::App& app, int& exit_code);
void add_destroy(CLI::App& app, int& exit_code);
void add_history(CLI::App& app, int& exit_code);
void add_gc(CLI::App& app, int& exit_code);
void add_env(CLI::App& app, int& exit_code);
void add_verify(CLI::App& app, int& exit_code);
void add_fetch(CLI::App& app, int& exit_code);
void add_capture(CLI::App& app, int& exit_code);

// verify's options at `level` as every front end runs it (session::verify_options): the kernels
// folder, the store's verify bucket, and this program's hidden `__load-probe`.
verify::Options verify_options(const std::string& level);
// The hidden `gpucfg __load-probe PATH STEM` (verify::load_probe, its JSON on stdout).
void add_load_probe(CLI::App& app, int& exit_code);

} // namespace gpucfg::cli
