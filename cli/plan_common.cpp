#include "plan_common.hpp"

#include "manifest/check.hpp"
#include "plan/observe.hpp"
#include "plan/planner.hpp"
#include "probe/probe.hpp"

#include <fstream>
#include <iostream>
#include <sstream>

namespace gpucfg::cli {

std::optional<Planned> make_plan(const PlanRequest& req, Context& ctx) {
  Planned out;
  out.kb = load_knowledge(ctx);
  if (!out.kb) return std::nullopt;
  auto host = probe::make_local_host(req.root);
  std::string facts_source = "live";
  if (!req.facts_file.empty()) {
    std::ifstream in(req.facts_file);
    std::stringstream text;
    text << in.rdbuf();
    try {
      out.facts = probe::facts_from_json(nlohmann::json::parse(text.str()));
    } catch (const std::exception& e) {
      std::cerr << "gpucfg: " << req.facts_file << ": not a facts file: " << e.what() << "\n";
      return std::nullopt;
    }
    facts_source = req.facts_file;
  } else {
    out.facts = probe::gather(*host);
  }
  if (std::string err = plan::apply_assumptions(out.facts, req.assume); !err.empty()) {
    std::cerr << "gpucfg: " << err << "\n";
    return std::nullopt;
  }
  auto checked =
      manifest::check(req.manifest, {out.facts.platform.id}, *out.kb, ctx.sources, ctx.diags);
  print_diagnostics(ctx);
  if (ctx.diags.has_errors() || checked.stacks.empty()) return std::nullopt;
  out.stack = std::move(checked.stacks.front());
  std::string home = host->env("HOME").value_or("/root");
  auto wanted = plan::wanted(*out.stack, home);
  if (facts_source == "live") {
    out.observed = plan::observe(*host, wanted, req.checksum);
  } else {
    out.observed.live = false; // another machine's facts: its paths cannot be observed from here
  }
  plan::PlanInput in{*out.stack, out.facts, out.observed, *out.kb, facts_source};
  out.plan = plan::make_plan(in);
  out.plan.observed_paths = wanted.paths;
  out.plan.source_dirs = wanted.source_dirs;
  return out;
}

} // namespace gpucfg::cli
