// A fleet plan: one manifest planned against many machines' saved facts (what `gpucfg facts
// --json` writes on each host), so a reviewer sees which of them a change breaks or changes
// before it lands. Each host is a planning run of its own (session::make_plan with its facts
// file); nothing is read from the hosts themselves.
#pragma once

#include "plan/model.hpp"
#include "session/planning.hpp"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace gpucfg::session {

struct HostPlan {
  std::string host;               // the facts file's name without .json
  std::string facts_file;         // as named
  std::string platform;           // the facts' platform
  std::optional<plan::Plan> plan; // nullopt: no plan could be made (errors say why)
  std::vector<std::string> errors, warnings;
  // "error": no plan; "fail": the plan has errors (apply would refuse); "changes"; "ok".
  std::string outcome() const;
};

struct FleetPlan {
  std::string manifest;
  std::vector<HostPlan> hosts;
  bool any_failed() const;  // an "error" or "fail" host
  bool any_changes() const; // a "changes" host
};

// The facts files `paths` name: files as given, folders by their *.json (sorted). What is neither
// is an error.
std::vector<std::string> fleet_files(const std::vector<std::string>& paths,
                                     std::vector<std::string>* errors);

// `base` with each facts file in turn (its manifest, assumptions and source flags apply to all).
FleetPlan plan_fleet(const PlanRequest& base, const std::vector<std::string>& facts_files);

// Text: a table (host, platform, result, + ~ - !, errors, warnings), then each host's errors.
std::string render_fleet_text(const FleetPlan& f);
// Markdown for a pull request: the table, each host's plan collapsed under <details>.
std::string render_fleet_markdown(const FleetPlan& f);
nlohmann::json fleet_json(const FleetPlan& f);

} // namespace gpucfg::session
