#include "session/fleet.hpp"

#include "plan/plan_json.hpp"
#include "plan/render.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

namespace fs = std::filesystem;

namespace gpucfg::session {

std::string HostPlan::outcome() const {
  if (!plan) return "error";
  if (plan->has_errors()) return "fail";
  return plan->has_changes() ? "changes" : "ok";
}

bool FleetPlan::any_failed() const {
  return std::any_of(hosts.begin(), hosts.end(), [](const HostPlan& h) {
    return h.outcome() == "error" || h.outcome() == "fail";
  });
}

bool FleetPlan::any_changes() const {
  return std::any_of(hosts.begin(), hosts.end(),
                     [](const HostPlan& h) { return h.outcome() == "changes"; });
}

std::vector<std::string> fleet_files(const std::vector<std::string>& paths,
                                     std::vector<std::string>* errors) {
  std::vector<std::string> out;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> here;
      for (const auto& e : fs::directory_iterator(p, ec))
        if (e.path().extension() == ".json" && e.is_regular_file(ec))
          here.push_back(e.path().u8string());
      std::sort(here.begin(), here.end());
      if (here.empty()) errors->push_back(p + ": no .json facts files in this folder");
      out.insert(out.end(), here.begin(), here.end());
    } else if (fs::is_regular_file(p, ec)) {
      out.push_back(p);
    } else {
      errors->push_back(p + ": not a facts file or a folder of them");
    }
  }
  return out;
}

namespace {

// The platform a facts file names, for a host whose plan could not be made ("" if unreadable).
std::string platform_of(const std::string& facts_file) {
  std::ifstream in(facts_file);
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.contains("platform") || !j["platform"].is_object()) return "";
  auto id = j["platform"].value("id", std::string());
  return id;
}

// What names one machine and not the kind of machine it is (its hostname, its GPUs' UUIDs),
// blanked in the file's text: two files that are then the same describe the same kind of machine
// and get the same plan (but for its `host`). Textual, so a fleet of 100,000 files is read once
// and not parsed: files that differ in layout only are planned apart, which costs time, not truth.
std::string kind_of_machine(const std::string& text, std::string* hostname) {
  std::string out;
  out.reserve(text.size());
  std::size_t at = 0;
  for (;;) {
    std::size_t h = text.find("\"hostname\"", at), u = text.find("\"uuid\"", at);
    std::size_t key = std::min(h, u);
    if (key == std::string::npos) break;
    std::size_t colon = text.find_first_not_of(" \t\r\n", text.find('"', key + 1) + 1);
    if (colon == std::string::npos || text[colon] != ':') break;
    std::size_t open = text.find_first_not_of(" \t\r\n", colon + 1);
    if (open == std::string::npos || text[open] != '"') {
      out.append(text, at, colon + 1 - at);
      at = colon + 1;
      continue;
    }
    std::size_t close = open + 1;
    while (close < text.size() && text[close] != '"')
      close += text[close] == '\\' ? 2 : 1;
    if (close >= text.size()) break;
    if (key == h && hostname && hostname->empty()) { // the value unescaped, as JSON reads it
      auto v = nlohmann::json::parse(text.substr(open, close - open + 1), nullptr, false);
      if (v.is_string()) *hostname = v.get<std::string>();
    }
    out.append(text, at, open + 1 - at);
    at = close;
  }
  out.append(text, at, std::string::npos);
  return out;
}

} // namespace

void FleetSummary::count(const HostPlan& h) {
  ++hosts;
  failed += h.outcome() == "error" || h.outcome() == "fail";
  changes += h.outcome() == "changes";
}

std::string FleetSummary::sentence() const {
  return std::to_string(hosts) + " host(s): " + std::to_string(failed) + " failed, " +
         std::to_string(changes) + " with changes, " + std::to_string(hosts - failed - changes) +
         " unchanged.";
}

FleetSummary plan_fleet(const PlanRequest& base, const std::vector<std::string>& facts_files,
                        FleetSink& sink) {
  FleetSummary sum;
  sum.manifest = base.manifest;
  // One Planner: the knowledge, the manifest per platform and its sources are read once.
  Context ctx;
  Recorder said;
  Planner planner(base, ctx, said);
  const std::vector<std::string> before = said.errors; // the knowledge base's: every host's
  // Plans by kind of machine. Bounded: a fleet of all-different machines plans each one and
  // keeps only the last few hundred kinds.
  constexpr std::size_t k_kinds = 256;
  std::map<std::string, HostPlan> kinds;
  std::size_t next_kind = 0;
  for (const auto& file : facts_files) {
    std::ifstream in(file, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::string hostname;
    std::string kind = in ? kind_of_machine(text, &hostname) : std::string();
    HostPlan h;
    if (auto it = kinds.find(kind); !kind.empty() && it != kinds.end()) {
      h = it->second;
      if (h.plan) {
        h.plan->host = hostname;
        h.plan->facts_source = file;
      }
    } else {
      said.errors.clear();
      said.warnings.clear();
      auto planned = planner.plan_facts_file(file);
      h.errors = before;
      h.errors.insert(h.errors.end(), said.errors.begin(), said.errors.end());
      h.warnings = said.warnings;
      h.platform = planned ? planned->facts.platform.id : platform_of(file);
      if (!planned && !h.platform.empty())
        for (const auto& e : planner.stack_errors(h.platform))
          h.errors.push_back(e);
      if (planned) {
        for (const auto& e : planned->plan.errors)
          h.errors.push_back(e);
        for (const auto& c : planned->plan.checks)
          if (c.outcome == "warn") h.warnings.push_back(c.name + ": " + c.detail);
        for (const auto& w : planned->plan.warnings)
          h.warnings.push_back(w);
        h.plan = std::move(planned->plan);
      }
      if (!kind.empty()) {
        if (kinds.size() >= k_kinds) kinds.clear();
        h.kind = ++next_kind;
        kinds.emplace(kind, h);
      }
    }
    h.facts_file = file;
    h.host = !hostname.empty() ? hostname : fs::path(file).stem().string();
    if (h.plan) sum.manifest = h.plan->manifest;
    sum.count(h);
    sink.host(h, sum.manifest);
  }
  sink.end(sum);
  return sum;
}

FleetPlan plan_fleet(const PlanRequest& base, const std::vector<std::string>& facts_files) {
  struct Keep final : FleetSink {
    FleetPlan f;
    void host(const HostPlan& h, const std::string&) override { f.hosts.push_back(h); }
    void end(const FleetSummary& s) override { f.manifest = s.manifest; }
  } keep;
  plan_fleet(base, facts_files, keep);
  return std::move(keep.f);
}

} // namespace gpucfg::session
