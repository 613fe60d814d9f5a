// The fleet plan for people: one line per host, then what is wrong where; in Markdown each host's
// own plan collapsed, so a pull-request comment stays one screen however large the fleet.
#include "plan/render.hpp"
#include "session/fleet.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace gpucfg::session {
namespace {

constexpr std::size_t kCommentBudget = 60000;

std::string pad(std::string s, std::size_t width) {
  if (s.size() < width) s.resize(width, ' ');
  return s;
}

std::string changes(const HostPlan& h) {
  if (!h.plan) return "-";
  plan::Counts c = plan::count(*h.plan);
  return "+" + std::to_string(c.create) + " ~" + std::to_string(c.update) + " -" +
         std::to_string(c.remove) + " !" + std::to_string(c.run);
}

std::string summary(const FleetPlan& f) {
  std::size_t failed = 0, changed = 0;
  for (const auto& h : f.hosts) {
    failed += h.outcome() == "error" || h.outcome() == "fail";
    changed += h.outcome() == "changes";
  }
  return std::to_string(f.hosts.size()) + " host(s): " + std::to_string(failed) + " failed, " +
         std::to_string(changed) + " with changes, " +
         std::to_string(f.hosts.size() - failed - changed) + " unchanged.";
}

} // namespace

std::string render_fleet_text(const FleetPlan& f) {
  std::size_t w = 4;
  for (const auto& h : f.hosts)
    w = std::max(w, h.host.size());
  std::string out = "gpucfg fleet plan: " + f.manifest + "\n\n" + pad("host", w + 2) +
                    pad("platform", 16) + pad("result", 9) + pad("changes", 16) +
                    "errors  warnings\n";
  for (const auto& h : f.hosts)
    out += pad(h.host, w + 2) + pad(h.platform.empty() ? "?" : h.platform, 16) +
           pad(h.outcome(), 9) + pad(changes(h), 16) + pad(std::to_string(h.errors.size()), 8) +
           std::to_string(h.warnings.size()) + "\n";
  for (const auto& h : f.hosts) {
    if (h.errors.empty()) continue;
    out += "\n" + h.host + " (" + h.facts_file + "):\n";
    for (const auto& e : h.errors)
      out += "  Error: " + e + "\n";
  }
  return out + "\n" + summary(f) + "\n";
}

std::string render_fleet_markdown(const FleetPlan& f) {
  std::string out = "**gpucfg fleet plan** `" + f.manifest + "`: " + summary(f) + "\n\n" +
                    "| host | platform | result | changes | errors | warnings |\n"
                    "| --- | --- | --- | --- | --- | --- |\n";
  for (const auto& h : f.hosts)
    out += "| `" + h.host + "` | " + (h.platform.empty() ? "?" : h.platform) + " | " +
           (h.outcome() == "error" || h.outcome() == "fail" ? "**" + h.outcome() + "**"
                                                            : h.outcome()) +
           " | " + changes(h) + " | " + std::to_string(h.errors.size()) + " | " +
           std::to_string(h.warnings.size()) + " |\n";
  out += "\n";
  // Failed hosts first, then those that change, then the rest, while the comment stays under
  // GitHub's 65,536 characters (with room for what a review adds around it).
  std::vector<const HostPlan*> order;
  for (const char* outcome : {"error", "fail", "changes", "ok"})
    for (const auto& h : f.hosts)
      if (h.outcome() == outcome) order.push_back(&h);
  // An error several hosts' plans share (a stale lock, a manifest mistake) is one problem: said
  // once, with the hosts it stops, and shortened in each host's plan below.
  std::map<std::string, std::vector<std::string>> where;
  for (const auto& h : f.hosts)
    for (const auto* list : {&h.errors, h.plan ? &h.plan->errors : nullptr})
      if (list)
        for (const auto& e : *list)
          if (where[e].empty() || where[e].back() != h.host) where[e].push_back(h.host);
  std::set<std::string> shared;
  for (const auto& [e, hosts] : where)
    if (hosts.size() > 1) {
      shared.insert(e);
      out += "- **error on " + std::to_string(hosts.size()) + " hosts** (" +
             util::join(hosts, ", ") + "): " + e + "\n";
    }
  if (!shared.empty()) out += "\n";
  // In a host's plan a shared error stays counted, told in a few words.
  auto own = [&](std::vector<std::string> errors) {
    for (auto& e : errors)
      if (shared.count(e))
        e = "(shared with other hosts, above) " + (e.size() > 60 ? e.substr(0, 57) + "..." : e);
    return errors;
  };
  std::size_t left_out = 0;
  for (const HostPlan* h : order) {
    std::string d = "<details><summary><code>" + h->host + "</code>: " + h->outcome() +
                    "</summary>\n\n```text\n";
    if (!h->plan) {
      for (const auto& e : own(h->errors))
        d += "Error: " + e + "\n";
    } else {
      plan::Plan p = *h->plan;
      p.errors = own(p.errors);
      d += plan::render_text(p, false);
    }
    d += "```\n\n</details>\n";
    if (out.size() + d.size() > kCommentBudget) {
      ++left_out;
      continue;
    }
    out += d;
  }
  if (left_out)
    out += "\n" + std::to_string(left_out) +
           " host plan(s) left out to fit one comment; `gpucfg plan --fleet ... --format json` "
           "has them all.\n";
  return out;
}

} // namespace gpucfg::session
