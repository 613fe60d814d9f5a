// gpucfg plan MANIFEST: what apply would change on this machine (or the one a facts file
// describes), and why. Changes nothing.
#include "plan/plan_json.hpp"
#include "plan/planner.hpp"
#include "plan/render.hpp"
#include "plan_common.hpp"
#include "session/fleet.hpp"

#include <CLI/CLI.hpp>
#include <cstring>
#include <fstream>
#include <filesystem>
#include <iostream>

namespace gpucfg::cli {
namespace {

// plan --fleet: exit 1 when a host fails (or a facts path is wrong), 2 (with
// --detailed-exitcode) when a host would change, else 0.
int plan_fleet(const PlanRequest& req, const std::vector<std::string>& paths,
               const std::string& format, bool detailed) {
  std::vector<std::string> errors;
  auto files = session::fleet_files(paths, &errors);
  for (const auto& e : errors)
    std::cerr << "gpucfg: " << e << "\n";
  if (!errors.empty()) return k_error;
  // Written as hosts are planned, so memory does not grow with the fleet; the host column is as
  // wide as the longest facts file's name (a hostname longer than that widens its own line).
  std::size_t width = 4;
  for (const auto& file : files)
    width = std::max(width, std::filesystem::path(file).stem().string().size());
  std::unique_ptr<session::FleetSink> sink =
      format == "json"       ? session::fleet_json_sink(std::cout) // compact: 10,000 plans
      : format == "markdown" ? session::fleet_markdown_sink(std::cout)
                             : session::fleet_text_sink(std::cout, width);
  auto f = session::plan_fleet(req, files, *sink);
  if (f.any_failed()) return k_error;
  return detailed && f.any_changes() ? k_changes : k_ok;
}

} // namespace

void add_plan(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "plan", "Show what apply would change, with the reason for each change and the "
              "prerequisite checks; changes nothing");
  struct Opts {
    PlanRequest req;
    std::string out, format = "text";
    std::vector<std::string> fleet, facts;
    bool detailed = false, explain = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("manifest", o->req.manifest, "Manifest file")->required();
  cmd->add_option("--root", o->req.root, "Plan for the machine under this folder")
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--facts", o->facts,
                  "Plan for the machine a saved `gpucfg facts --json` describes (repeated: a "
                  "fleet plan over those machines)")
      ->check(CLI::ExistingFile)
      ->allow_extra_args(false); // one file each time, so the manifest stays positional
  cmd->add_option("--assume", o->req.assume,
                  "Override facts: driver=535.54,gpu=sm_86,platform=linux-x86_64")
      ->check(std::function<std::string(const std::string&)>([](const std::string& v) {
                probe::Facts scratch; // a bad --assume is a bad command line (exit 64)
                std::string e = plan::apply_assumptions(scratch, v);
                for (const char* said : {"--assume: ", "--assume "}) // CLI11 names the option
                  if (e.rfind(said, 0) == 0) return e.substr(std::strlen(said));
                return e;
              }),
              "driver=VERSION,gpu=sm_NN,platform=ID");
  auto* fleet = cmd->add_option("--fleet", o->fleet,
                                "Plan for every machine whose saved facts are in this folder (its "
                                "*.json) or file; repeatable. One table, each host's plan")
                    ->type_name("PATH")
                    ->allow_extra_args(false);
  auto* out =
      cmd->add_option("--out", o->out, "Also save the plan as JSON, for `gpucfg apply PLAN`")
          ->type_name("PATH");
  out->excludes(fleet);
  cmd->add_option("--format", o->format, "text, json or markdown")
      ->check(CLI::IsMember({"text", "json", "markdown"}));
  cmd->add_flag("--detailed-exitcode", o->detailed,
                "Exit 0 for no changes, 2 for changes, 1 for errors");
  cmd->add_flag("--explain", o->explain,
                "Show where each change was asked for, and each check's source");
  add_source_flags(*cmd, o->req);
  cmd->add_flag("--checksum", o->req.checksum,
                "Hash every managed file instead of trusting size and mtime");
  cmd->footer(
      "\nExamples:\n  gpucfg plan examples/local-cuda-13.0.yaml\n"
      "  gpucfg plan --facts examples/facts/windows-gtx1650.json manifests/tf-2.5.yaml\n"
      "  gpucfg plan --assume driver=535.54,gpu=sm_86 --format markdown manifests/tf-2.12.yaml\n"
      "  gpucfg plan --out tf.plan.json manifests/tf-2.5.yaml && gpucfg apply tf.plan.json\n"
      "  gpucfg plan --fleet fleet/ --format markdown manifests/tf-2.16.yaml\n");
  cmd->callback([o, &exit_code] {
    // Several machines (a --fleet, or --facts more than once): one table.
    if (!o->fleet.empty() || o->facts.size() > 1) {
      if (!o->out.empty()) {
        std::cerr << "gpucfg: --out saves one machine's plan; not with several machines\n";
        exit_code = k_usage;
        return;
      }
      std::vector<std::string> paths = o->fleet;
      paths.insert(paths.end(), o->facts.begin(), o->facts.end());
      exit_code = plan_fleet(o->req, paths, o->format, o->detailed);
      return;
    }
    if (!o->facts.empty()) o->req.facts_file = o->facts.front();
    // A saved plan is applied as reviewed: what it places from a cuDNN archive is fetched and
    // unpacked now, so it names each file and its hash instead of "once the archive is unpacked".
    if (!o->out.empty()) o->req.prepare = true;
    Context ctx;
    auto planned = make_plan(o->req, ctx);
    if (!planned) {
      exit_code = k_error;
      return;
    }
    const auto& p = planned->plan;
    if (!o->out.empty()) {
      std::ofstream f(o->out);
      f << nlohmann::json(p).dump(2) << "\n";
      if (!f) {
        std::cerr << "gpucfg: cannot write " << o->out << "\n";
        exit_code = k_error;
        return;
      }
    }
    if (o->format == "json")
      std::cout << nlohmann::json(p).dump(2) << "\n";
    else if (o->format == "markdown")
      std::cout << plan::render_markdown(p);
    else
      std::cout << plan::render_text(p, o->explain);
    if (p.has_errors())
      exit_code = k_error;
    else if (o->detailed && p.has_changes())
      exit_code = k_changes;
    else
      exit_code = k_ok;
  });
}

} // namespace gpucfg::cli
