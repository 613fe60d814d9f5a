// gpucfg diff OLD NEW: what a manifest change does to the stack, per platform.
#include "plan_common.hpp"
#include "session/diff.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

namespace gpucfg::cli {

void add_diff(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "diff", "Compare two manifests (files or git:REV:PATH) as resolved, per platform: versions, "
              "sources, files, env, loader, environment wheels, requirements, verify level");
  struct Opts {
    std::string before, after, format = "text";
    std::vector<std::string> platforms;
    bool detailed = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("old", o->before, "The manifest before: a file or git:REV:PATH")->required();
  cmd->add_option("new", o->after, "The manifest after: a file or git:REV:PATH")->required();
  cmd->add_option("--platform", o->platforms,
                  "Compare for this platform (repeatable; default: every platform either declares)")
      ->allow_extra_args(false);
  cmd->add_option("--format", o->format, "text, json or markdown")
      ->check(CLI::IsMember({"text", "json", "markdown"}));
  cmd->add_flag("--detailed-exitcode", o->detailed, "Exit 2 when they differ, 0 when not");
  cmd->footer(
      "\nExamples:\n  gpucfg diff manifests/tf-2.15.yaml manifests/tf-2.16.yaml\n"
      "  gpucfg diff git:origin/main:stacks/train.yaml stacks/train.yaml\n"
      "  gpucfg diff --format markdown git:HEAD~1:stacks/train.yaml git:HEAD:stacks/train.yaml\n");
  cmd->callback([o, &exit_code] {
    Context ctx;
    StderrReporter report;
    auto d = session::diff_manifests(o->before, o->after, o->platforms, ctx, report);
    print_diagnostics(ctx);
    if (!d) {
      exit_code = k_error;
      return;
    }
    if (o->format == "json")
      std::cout << session::diff_json(*d).dump(2) << "\n";
    else if (o->format == "markdown")
      std::cout << session::render_diff_markdown(*d);
    else
      std::cout << session::render_diff_text(*d);
    exit_code = o->detailed && d->any() ? k_changes : k_ok;
  });
}

} // namespace gpucfg::cli
