// A fleet plan: one manifest planned against many machines' saved facts (what `gpucfg facts
// --json` writes on each host), so a reviewer sees which of them a change breaks or changes
// before it lands. Each host is a planning run of its own (session::make_plan with its facts
// file); nothing is read from the hosts themselves.
#pragma once

#include "plan/model.hpp"
#include "session/planning.hpp"

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace gpucfg::session {

struct HostPlan {
  std::string host;               // the facts file's name without .json
  std::string facts_file;         // as named
  std::string platform;           // the facts' platform
  std::optional<plan::Plan> plan; // nullopt: no plan could be made (errors say why)
  std::vector<std::string> errors, warnings;
  // Hosts of one kind (facts that differ only in the machine's names) share it: their plans are
  // the same but for `host` and `facts_source`. 0: not known to share.
  std::size_t kind = 0;
  // "error": no plan; "fail": the plan has errors (apply would refuse); "changes"; "ok".
  std::string outcome() const;
};

struct FleetPlan {
  std::string manifest;
  std::vector<HostPlan> hosts;
  bool any_failed() const;  // an "error" or "fail" host
  bool any_changes() const; // a "changes" host
};

struct FleetSummary {
  std::string manifest;
  std::size_t hosts = 0, failed = 0, changes = 0;
  bool any_failed() const { return failed > 0; }
  bool any_changes() const { return changes > 0; }
  void count(const HostPlan& h);
  std::string sentence() const; // "N host(s): F failed, C with changes, U unchanged."
};

// Takes each host's plan as soon as it is made, then the summary: a fleet is rendered as it is
// planned, and nothing of a host need be kept after it was handed over.
class FleetSink {
public:
  virtual ~FleetSink() = default;
  // `manifest`: its metadata.name once a host was planned (its path before).
  virtual void host(const HostPlan& h, const std::string& manifest) = 0;
  virtual void end(const FleetSummary& s) = 0;
};

// The facts files `paths` name: files as given, folders by their *.json (sorted). What is neither
// is an error.
std::vector<std::string> fleet_files(const std::vector<std::string>& paths,
                                     std::vector<std::string>* errors);

// `base` with each facts file in turn (its manifest, assumptions and source flags apply to all),
// each host handed to `sink` once planned. Hosts whose facts differ only in what names the
// machine (its hostname, its GPUs' UUIDs) are planned once: a fleet is mostly a few kinds of
// machine.
FleetSummary plan_fleet(const PlanRequest& base, const std::vector<std::string>& facts_files,
                        FleetSink& sink);
// The same, kept whole (a review's few hosts).
FleetPlan plan_fleet(const PlanRequest& base, const std::vector<std::string>& facts_files);

// The renderers, as sinks that write to `out` as hosts come (fleet_render.cpp). Their memory
// does not grow with the fleet's plans: text keeps each failed host's errors (each distinct
// error once), Markdown its table lines and the plans that fit one comment, JSON nothing.
// Text: a table (host, platform, result, + ~ - !, errors, warnings), then each host's errors;
// `host_width` is the host column's (the longest facts file name, say).
std::unique_ptr<FleetSink> fleet_text_sink(std::ostream& out, std::size_t host_width);
// Markdown for a pull request: the table, each host's plan collapsed under <details>.
std::unique_ptr<FleetSink> fleet_markdown_sink(std::ostream& out);
// JSON (schemas/fleet-plan.schema.json), compact, each host written as it is planned.
std::unique_ptr<FleetSink> fleet_json_sink(std::ostream& out);

// A fleet kept whole, rendered through the same sinks.
std::string render_fleet_text(const FleetPlan& f);
std::string render_fleet_markdown(const FleetPlan& f);

} // namespace gpucfg::session
