#include "session/fleet.hpp"

#include "plan/plan_json.hpp"
#include "plan/render.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>

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

} // namespace

FleetPlan plan_fleet(const PlanRequest& base, const std::vector<std::string>& facts_files) {
  FleetPlan f;
  f.manifest = base.manifest;
  // One Planner: the knowledge, the manifest per platform and its sources are read once.
  Context ctx;
  Recorder said;
  Planner planner(base, ctx, said);
  const std::vector<std::string> before = said.errors; // the knowledge base's: every host's
  for (const auto& file : facts_files) {
    HostPlan h;
    h.facts_file = file;
    h.host = fs::path(file).stem().string();
    said.errors.clear();
    said.warnings.clear();
    auto planned = planner.plan_facts_file(file);
    h.errors = before;
    h.errors.insert(h.errors.end(), said.errors.begin(), said.errors.end());
    h.warnings = said.warnings;
    h.platform = planned ? planned->facts.platform.id : platform_of(file);
    if (planned && !planned->facts.platform.hostname.empty())
      h.host = planned->facts.platform.hostname; // else the file's name
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
      f.manifest = planned->plan.manifest;
      h.plan = std::move(planned->plan);
    }
    f.hosts.push_back(std::move(h));
  }
  return f;
}

nlohmann::json fleet_json(const FleetPlan& f) {
  nlohmann::json hosts = nlohmann::json::array();
  for (const auto& h : f.hosts) {
    plan::Counts c = h.plan ? plan::count(*h.plan) : plan::Counts{};
    nlohmann::json j = {
        {"host", h.host},
        {"facts", h.facts_file},
        {"platform", h.platform},
        {"result", h.outcome()},
        {"changes",
         {{"add", c.create}, {"change", c.update}, {"destroy", c.remove}, {"run", c.run}}},
        {"errors", h.errors},
        {"warnings", h.warnings}};
    if (h.plan) {
      // Without the payloads apply needs (archives, file contents): a fleet's JSON is for
      // dashboards and review, and `plan --facts FILE --format json` gives any host in full.
      nlohmann::json p = *h.plan;
      for (auto& a : p["actions"]) {
        a["artifacts"] = nlohmann::json::array();
        a["content"] = "";
      }
      j["plan"] = std::move(p);
    }
    hosts.push_back(std::move(j));
  }
  return {
      {"format_version", 1},
      {"manifest", f.manifest},
      {"summary",
       {{"hosts", f.hosts.size()},
        {"failed", std::count_if(f.hosts.begin(), f.hosts.end(),
                                 [](const HostPlan& h) {
                                   return h.outcome() == "error" || h.outcome() == "fail";
                                 })},
        {"changes", std::count_if(f.hosts.begin(), f.hosts.end(),
                                  [](const HostPlan& h) { return h.outcome() == "changes"; })}}},
      {"hosts", hosts}};
}

} // namespace gpucfg::session
