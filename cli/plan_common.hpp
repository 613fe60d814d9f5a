// Shared by plan, apply and env: load a manifest for the platform of the facts, gather facts
// (live, or from a saved file with --assume overrides), observe and plan.
#pragma once

#include "common.hpp"
#include "manifest/model.hpp"
#include "plan/model.hpp"
#include "plan/observed.hpp"
#include "probe/facts.hpp"

#include <optional>
#include <string>

namespace gpucfg::cli {

struct PlanRequest {
  std::string manifest, root = "/", facts_file, assume;
  bool checksum = false;
};

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
