// gpucfg review --base REV: the pull request's effect on the team's stacks as one Markdown
// comment (what a CI job posts).
#include "plan_common.hpp"
#include "session/review.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

namespace gpucfg::cli {

void add_review(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "review",
      "For a pull request: every manifest whose file or base changed between two git "
      "revisions, its diff and the fleet plan of the new version, as one Markdown comment");
  auto o = std::make_shared<session::ReviewRequest>();
  cmd->add_option("--base", o->base, "The revision the pull request targets (e.g. origin/main)")
      ->required();
  cmd->add_option("--head", o->head, "The pull request's revision (default: the working tree)");
  cmd->add_option("--fleet", o->fleet, "Saved facts files, or folders of them, to plan against")
      ->type_name("PATH")
      ->allow_extra_args(false);
  cmd->add_option("--manifests", o->manifests,
                  "Folders (or files) holding the stacks, relative to here (default: the whole "
                  "repository)")
      ->type_name("PATH")
      ->allow_extra_args(false);
  add_source_flags(*cmd, o->plan);
  cmd->footer("\nExit: 1 when a manifest cannot be read or a fleet host fails, else 0.\n"
              "\nExamples:\n  gpucfg review --base origin/main --fleet fleet/ > comment.md\n"
              "  gpucfg review --base HEAD~1 --head HEAD --manifests stacks\n");
  cmd->callback([o, &exit_code] {
    StderrReporter report;
    auto r = session::review(*o, report);
    if (!r) {
      exit_code = k_error;
      return;
    }
    std::cout << session::render_review_markdown(*r);
    exit_code = r->any_failed() ? k_error : k_ok;
  });
}

} // namespace gpucfg::cli
