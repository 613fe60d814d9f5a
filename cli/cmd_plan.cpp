// gpucfg plan MANIFEST: what apply would change on this machine (or the one a facts file
// describes), and why. Changes nothing.
#include "plan/plan_json.hpp"
#include "plan/planner.hpp"
#include "plan/render.hpp"
#include "plan_common.hpp"

#include <CLI/CLI.hpp>
#include <cstring>
#include <fstream>
#include <iostream>

namespace gpucfg::cli {

void add_plan(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "plan", "Show what apply would change, with the reason for each change and the "
              "prerequisite checks; changes nothing");
  struct Opts {
    PlanRequest req;
    std::string out, format = "text";
    bool detailed = false, explain = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("manifest", o->req.manifest, "Manifest file")->required();
  cmd->add_option("--root", o->req.root, "Plan for the machine under this folder")
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--facts", o->req.facts_file,
                  "Plan for the machine a saved `gpucfg facts --json` describes")
      ->check(CLI::ExistingFile);
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
  cmd->add_option("--out", o->out, "Also save the plan as JSON, for `gpucfg apply PLAN`");
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
      "  gpucfg plan --out tf.plan.json manifests/tf-2.5.yaml && gpucfg apply tf.plan.json\n");
  cmd->callback([o, &exit_code] {
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
