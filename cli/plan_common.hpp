// The CLI's side of a planning run (engine/session does the run): flags shared by plan, apply
// and fetch, and a Reporter that writes to stderr.
#pragma once

#include "common.hpp"
#include "session/planning.hpp"

#include <optional>

namespace gpucfg::cli {

using session::Planned;
using session::PlanRequest;

// Errors and warnings as "gpucfg: ..." lines; downloads as a bar on a terminal, else a line
// when each starts and ends.
class StderrReporter : public session::Reporter {
public:
  void error(const std::string& message) override;
  void warning(const std::string& message) override;
  void progress(const source::Progress& p) override;
};

// --allow-unpinned and --offline, shared by plan, apply and fetch.
void add_source_flags(CLI::App& cmd, PlanRequest& req);

// session::make_plan with the diagnostics printed; nullopt on any error before a plan.
std::optional<Planned> make_plan(const PlanRequest& req, Context& ctx);

} // namespace gpucfg::cli
